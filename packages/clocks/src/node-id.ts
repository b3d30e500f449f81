import { type ByteReader, isNodeId, type NodeId } from '@lattice/core';

/**
 * Reads a node id written with `ByteWriter.string`: a `DecodeError` (through `reader.fail`)
 * unless it is valid UTF-8 and a valid node id (core's `isNodeId`).
 */
export function readNodeId(reader: ByteReader): NodeId {
  const id = reader.string();
  if (!isNodeId(id)) reader.fail(`invalid node id ${JSON.stringify(id)}`);
  return id;
}
