import { defineProject, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.ts';

// One test file at a time: most of them start real clusters (node processes, Redis, NATS,
// Chromium) whose timeouts assume the machine is not also running three other clusters. On two
// cores the files in parallel took as long as in sequence, and starved each other's elections.
export default mergeConfig(sharedConfig, defineProject({ test: { name: 'examples', fileParallelism: false } }));
