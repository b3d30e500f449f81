import { defineLibrary } from '../../tsup.shared.ts';

// `@lattice/sim/node` (saveRun) is the only part that imports `node:` builtins.
export default defineLibrary({ entry: { index: 'src/index.ts', node: 'src/node/index.ts' }, platform: 'neutral' });
