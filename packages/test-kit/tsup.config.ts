import { defineLibrary } from '../../tsup.shared.ts';

export default defineLibrary({ entry: { index: 'src/index.ts', vitest: 'src/vitest.ts' }, platform: 'node', external: [/^node:/, 'vitest'] });
