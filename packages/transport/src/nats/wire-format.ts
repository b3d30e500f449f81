import { isNodeId, type NodeId, UnsupportedVersionError } from '@lattice/core';

/**
 * A message on a node's subject is `[0x4c 'L'][0x01 version][u16 big-endian sender length]
 * [sender id, UTF-8][payload]`. Own prefix bytes rather than NATS headers: headers are text the
 * client encodes and parses for every message, which costs more than the payload itself at
 * small sizes.
 */
const MAGIC = 0x4c;
const VERSION = 1;
const FIXED_HEADER = 4;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The header every message from `from` carries, built once per endpoint. */
export function senderHeader(from: NodeId): Uint8Array {
  const id = encoder.encode(from);
  const header = new Uint8Array(FIXED_HEADER + id.byteLength);
  header[0] = MAGIC;
  header[1] = VERSION;
  header[2] = id.byteLength >>> 8;
  header[3] = id.byteLength & 0xff;
  header.set(id, FIXED_HEADER);
  return header;
}

/** `header` followed by `payload`, in one buffer for one publish. */
export function encodeMessage(header: Uint8Array, payload: Uint8Array): Uint8Array {
  const message = new Uint8Array(header.byteLength + payload.byteLength);
  message.set(header, 0);
  message.set(payload, header.byteLength);
  return message;
}

/** A decoded message, or the reason it is not one. */
export type DecodedMessage = { from: NodeId; payload: Uint8Array } | { problem: string; cause?: UnsupportedVersionError };

/**
 * Reads a message. The sender id of the last message is kept with its bytes, so a stream from
 * one peer decodes its id once instead of once per message.
 */
export class MessageDecoder {
  #lastIdBytes: Uint8Array = new Uint8Array(0);
  #lastId: NodeId | undefined;

  decode(data: Uint8Array): DecodedMessage {
    if (data.byteLength < FIXED_HEADER) return { problem: `${data.byteLength} bytes are shorter than the ${FIXED_HEADER}-byte header` };
    if (data[0] !== MAGIC) return { problem: `first byte 0x${data[0]!.toString(16)} is not a Lattice message` };
    const version = data[1]!;
    if (version > VERSION) {
      return { problem: `message version ${version} is newer than this build reads`, cause: new UnsupportedVersionError(version, VERSION, 'NATS message format') };
    }
    if (version !== VERSION) return { problem: `unsupported message version ${version}` };
    const idLength = (data[2]! << 8) | data[3]!;
    const end = FIXED_HEADER + idLength;
    if (idLength === 0 || end > data.byteLength) return { problem: `sender id length ${idLength} does not fit the ${data.byteLength}-byte message` };
    const idBytes = data.subarray(FIXED_HEADER, end);
    const from = this.#sender(idBytes);
    if (from === undefined) return { problem: 'sender id is not valid UTF-8 or not a valid node id' };
    return { from, payload: data.subarray(end) };
  }

  #sender(bytes: Uint8Array): NodeId | undefined {
    if (this.#lastId !== undefined && sameBytes(bytes, this.#lastIdBytes)) return this.#lastId;
    let id: string;
    try {
      id = decoder.decode(bytes);
    } catch {
      return undefined;
    }
    if (!isNodeId(id)) return undefined;
    this.#lastIdBytes = bytes.slice();
    this.#lastId = id;
    return id;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
