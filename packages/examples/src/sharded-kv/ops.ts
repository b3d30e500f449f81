/** What a cross-shard transaction asks one shard to prepare: its writes, and the snapshot and commit timestamps. */
import { MalformedShardCommandError, type Timestamp } from './shard-machine.js';

export interface TransferOps {
  readonly writes: readonly (readonly [string, string])[];
  readonly readTs: Timestamp;
  readonly commitTs: Timestamp;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const encodeTransferOps = (ops: TransferOps): Uint8Array => encoder.encode(JSON.stringify(ops));

/** Decodes a shard's part of a transaction; throws `MalformedShardCommandError` for anything else. */
export function decodeTransferOps(bytes: Uint8Array): TransferOps {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch (cause) {
    throw new MalformedShardCommandError('Transaction ops are not JSON', { cause });
  }
  const o = parsed as Partial<TransferOps> | null;
  const writes = o?.writes;
  if (
    typeof o?.readTs !== 'string' ||
    typeof o.commitTs !== 'string' ||
    !Array.isArray(writes) ||
    !writes.every((w) => Array.isArray(w) && w.length === 2 && typeof w[0] === 'string' && typeof w[1] === 'string')
  ) {
    throw new MalformedShardCommandError('Malformed transaction ops');
  }
  return o as TransferOps;
}
