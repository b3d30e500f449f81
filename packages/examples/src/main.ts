// `npm run demo`: the main demo of Lattice — lattice-kv, a Redis-compatible store on Raft, losing
// its leader and catching a restarted node up from a snapshot.
import { runKvDemo } from './lattice-kv/demo.js';

await runKvDemo({ log: (line) => console.log(line) });
