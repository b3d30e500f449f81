/**
 * Node-id validation, the check every decoder and transport runs per id: the code-unit loop
 * `isNodeId` uses against the regular expression it replaced. Run: `npm run bench -w @lattice/core`.
 */
import { writeFileSync } from 'node:fs';
import { isNodeId } from '../src/node-id.js';

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
function regexNodeId(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0 && value.length <= 255 && !CONTROL_CHARACTERS.test(value);
}

const shapes: [string, (i: number) => string][] = [
  ['short (n1…n9)', (i) => `n${i % 10}`],
  ['medium (node-123, host:port)', (i) => (i % 2 === 0 ? `node-${i}` : `10.0.${i % 256}.${i >> 8}:7000`)],
  ['long (40+ characters)', (i) => `replica-eu-west-1-az-b-${i}-shard-${i % 7}-primary`],
];

function opsPerSecond(ids: readonly string[], check: (value: unknown) => boolean, rounds: number): number {
  let valid = 0;
  const start = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) for (let i = 0; i < ids.length; i++) if (check(ids[i])) valid++;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (valid !== rounds * ids.length) throw new Error('a valid id was refused');
  return (rounds * ids.length) / seconds;
}

const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const rows: { case: string; unit: string; betterIs: string; ours: number; peer: null; regexBefore: number }[] = [];
for (const [shape, make] of shapes) {
  const ids = Array.from({ length: 1024 }, (_, i) => make(i));
  for (let i = 0; i < 3; i++) {
    opsPerSecond(ids, isNodeId, 200);
    opsPerSecond(ids, regexNodeId, 200);
  }
  const ours: number[] = [];
  const before: number[] = [];
  for (let i = 0; i < 7; i++) {
    ours.push(opsPerSecond(ids, isNodeId, 2000));
    before.push(opsPerSecond(ids, regexNodeId, 2000));
  }
  rows.push({ case: `isNodeId ${shape}`, unit: 'ops/s', betterIs: 'higher', ours: Math.round(median(ours)), peer: null, regexBefore: Math.round(median(before)) });
}
console.table(rows.map((row) => ({ case: row.case, 'isNodeId checks/s': row.ours, 'regex-only checks/s': row.regexBefore })));
writeFileSync(new URL('./results.json', import.meta.url), `${JSON.stringify(rows, null, 2)}\n`);
