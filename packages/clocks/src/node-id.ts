import { type ByteReader, MAX_NODE_ID_LENGTH, type NodeId } from '@lattice/core';

// Read once: in the CommonJS build every use of an imported binding goes through a getter.
const MAX_LENGTH: number = MAX_NODE_ID_LENGTH;

/**
 * The rule of `assertNodeId` from `@lattice/core` (non-empty, at most 255 UTF-16 code units, no
 * control characters) as a boolean loop: it sits on hot decoding paths, where the regular
 * expression behind `assertNodeId` costs more than the rest of the work.
 */
export function isNodeId(value: unknown): value is NodeId {
  if (typeof value !== 'string') return false;
  const length = value.length;
  if (length === 0 || length > MAX_LENGTH) return false;
  for (let i = 0; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return false;
  }
  return true;
}

/**
 * Reads a node id written with `ByteWriter.string`: a `DecodeError` (through `reader.fail`)
 * unless it is valid UTF-8 and a valid node id (see {@link isNodeId}).
 */
export function readNodeId(reader: ByteReader): NodeId {
  const id = reader.string();
  if (!isNodeId(id)) reader.fail(`invalid node id ${JSON.stringify(id)}`);
  return id;
}
