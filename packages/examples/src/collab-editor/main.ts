// `npm run editor -w @lattice/examples`: the relay, until Ctrl-C. Documents persist in
// packages/examples/.lattice-tmp/editor (or EDITOR_DATA), so a restart keeps them.
import { join } from 'node:path';
import { startRelay } from './relay.js';

const dataDir = process.env['EDITOR_DATA'] ?? join(import.meta.dirname, '..', '..', '.lattice-tmp', 'editor');
const relay = await startRelay({ dataDir, port: Number(process.env['PORT'] ?? 8090), onError: (error) => console.warn(error.message) });
console.log(`collaborative editor relay on ${relay.url}, documents in ${dataDir}`);
console.log(`open ${relay.url}/d/welcome?name=alice and ${relay.url}/d/welcome?name=bob side by side; Ctrl-C stops`);
process.once('SIGINT', () => {
  relay.close().then(() => process.exit(0));
});
