import { defineProject, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.ts';

// Building the site (when `npm test` has not built it first) takes a minute or two on a busy machine.
export default mergeConfig(sharedConfig, defineProject({ test: { name: 'site-check', hookTimeout: 600_000 } }));
