import { defineLibrary } from '../../tsup.shared.ts';

export default defineLibrary({ entry: {"index":"src/index.ts","testing":"src/testing/index.ts","compliance":"src/testing/compliance.ts"}, platform: 'node' });
