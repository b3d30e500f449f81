import { defineLibrary } from '../../tsup.shared.ts';

export default defineLibrary({ entry: {"index":"src/index.ts","node":"src/node/index.ts"}, platform: 'neutral' });
