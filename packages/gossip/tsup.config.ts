import { defineLibrary } from '../../tsup.shared.ts';

export default defineLibrary({ entry: {"index":"src/index.ts"}, platform: 'neutral' });
