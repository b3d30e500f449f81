import { defineLibrary } from '../../tsup.shared.ts';

export default defineLibrary({ entry: {"index":"src/index.ts","tcp":"src/tcp/index.ts","nats":"src/nats/index.ts"}, platform: 'node' });
