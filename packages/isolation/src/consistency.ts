import type { AnomalyType, ConsistencyModel } from './types.js';

/** Anomalies no store can produce under any model here: the data itself is wrong. */
const DATA_ANOMALIES: readonly AnomalyType[] = ['internal', 'garbage-read', 'duplicate-elements', 'incompatible-order'];

const READ_COMMITTED: readonly AnomalyType[] = [...DATA_ANOMALIES, 'G0', 'G1a', 'G1b', 'G1c'];
const SNAPSHOT_ISOLATION: readonly AnomalyType[] = [...READ_COMMITTED, 'G-single', 'lost-update'];
const SERIALIZABLE: readonly AnomalyType[] = [...SNAPSHOT_ISOLATION, 'G2-item'];
const STRICT_SERIALIZABLE: readonly AnomalyType[] = [
  ...SERIALIZABLE,
  'G0-process',
  'G1c-process',
  'G-single-process',
  'G2-item-process',
  'G0-realtime',
  'G1c-realtime',
  'G-single-realtime',
  'G2-item-realtime',
];

/**
 * The anomaly types each model forbids (Adya's definitions as Elle applies them). Duplicate
 * appends and writes are absent: they break the checker's assumption of unique writes, not a
 * model, and the affected keys are left out of the analysis instead.
 */
export const FORBIDDEN: Readonly<Record<ConsistencyModel, readonly AnomalyType[]>> = Object.freeze({
  'read-committed': READ_COMMITTED,
  'snapshot-isolation': SNAPSHOT_ISOLATION,
  serializable: SERIALIZABLE,
  'strict-serializable': STRICT_SERIALIZABLE,
});
