/**
 * The benchmark's client protocol: length-prefixed binary frames on one persistent TCP socket,
 * any number in flight (pipelined), answered by request id — the same shape as etcd's gRPC
 * over one HTTP/2 connection, without HTTP/2's framing and headers.
 *
 *   request:  u32 length | u32 id | u8 op     | body (Put: the command)
 *   response: u32 length | u32 id | u8 status | u32 index | body (Failed: the error code)
 *
 * The first frame written in a turn leaves at once (a lone answer waits for nothing); the
 * frames written after it in the same turn are corked together, so a burst of answers (one Raft
 * batch applied) leaves in one more syscall — as HTTP/2 frames of one flush do.
 */
import type { Socket } from 'node:net';

export const Op = { Put: 1, Status: 2 } as const;
export const Status = { Ok: 0, Failed: 1 } as const;

export interface Frame {
  readonly id: number;
  /** The op of a request, the status of a response. */
  readonly op: number;
  /** Responses only. */
  readonly index: number;
  readonly body: Uint8Array;
}

/** Splits a byte stream into frames (`response` frames carry the extra index field). */
export class FrameReader {
  readonly #response: boolean;
  #pending: Buffer = Buffer.alloc(0);

  constructor(response = false) {
    this.#response = response;
  }

  *push(chunk: Buffer): Generator<Frame> {
    let buffer = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    let offset = 0;
    const header = this.#response ? 9 : 5;
    while (buffer.length - offset >= 4) {
      const length = buffer.readUInt32BE(offset);
      if (buffer.length - offset - 4 < length) break;
      const start = offset + 4;
      const id = buffer.readUInt32BE(start);
      const op = buffer[start + 4]!;
      const index = this.#response ? buffer.readUInt32BE(start + 5) : 0;
      // A view, not a copy: each socket chunk is a fresh buffer, and propose copies the command.
      const body = buffer.subarray(start + header, start + length);
      offset = start + length;
      yield { id, op, index, body };
    }
    buffer = buffer.subarray(offset);
    this.#pending = buffer.length === 0 ? Buffer.alloc(0) : Buffer.from(buffer);
  }
}

const wroteThisTurn = new WeakSet<Socket>();
const corked = new WeakSet<Socket>();

function writeFrame(socket: Socket, frame: Buffer): void {
  if (!wroteThisTurn.has(socket)) {
    wroteThisTurn.add(socket);
    process.nextTick(() => {
      wroteThisTurn.delete(socket);
      if (corked.delete(socket)) socket.uncork();
    });
  } else if (!corked.has(socket)) {
    corked.add(socket);
    socket.cork();
  }
  socket.write(frame);
}

export function writeRequest(socket: Socket, id: number, op: number, body: Uint8Array): void {
  const frame = Buffer.allocUnsafe(9 + body.byteLength);
  frame.writeUInt32BE(5 + body.byteLength, 0);
  frame.writeUInt32BE(id, 4);
  frame[8] = op;
  frame.set(body, 9);
  writeFrame(socket, frame);
}

export function writeResponse(socket: Socket, id: number, status: number, index: number, body: Uint8Array = new Uint8Array(0)): void {
  if (socket.destroyed) return;
  const frame = Buffer.allocUnsafe(13 + body.byteLength);
  frame.writeUInt32BE(9 + body.byteLength, 0);
  frame.writeUInt32BE(id, 4);
  frame[8] = status;
  frame.writeUInt32BE(index >>> 0, 9);
  frame.set(body, 13);
  writeFrame(socket, frame);
}
