import { check, registerModel } from '@lattice/linearizability';
import { runRegister } from '../test/support/register-run.js';
const t = performance.now();
let caught = 0;
for (let seed = 1; seed <= 40; seed++) {
  const r = await runRegister(seed);
  const v = check(registerModel, r.history).verdict;
  const rb = await runRegister(seed, { abd: { readFrom: 'local' } });
  const vb = check(registerModel, rb.history).verdict;
  if (vb !== 'linearizable') caught++;
  console.log(seed, v, r.stats.ok, r.stats.info, r.endTime.toFixed(0), r.stats.crashes, '| broken', vb);
}
console.log('wall', performance.now() - t, 'caught', caught);
