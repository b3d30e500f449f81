import { FrameError } from './errors.js';

/** Frame types on the wire. Every frame is `[u32 big-endian length of type+body][u8 type][body]`. */
export const FrameType = {
  /** Server → client, first frame: a random nonce the client must answer. */
  Challenge: 1,
  /** Client → server: `{from, to, clientNonce, proof}`. */
  Hello: 2,
  /** Server → client: proof that the server knows the secret too. */
  Welcome: 3,
  /** A message payload. */
  Data: 4,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const HEADER = 5;

/** The 5-byte header of a frame whose body is `bodyLength` bytes (write the body after it, uncopied). */
export function frameHeader(type: FrameType, bodyLength: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER);
  header.writeUInt32BE(bodyLength + 1, 0);
  header[4] = type;
  return header;
}

/** Encodes one frame into one buffer (copies the body; for small control frames). */
export function encodeFrame(type: FrameType, body: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(HEADER + body.byteLength);
  frame.writeUInt32BE(body.byteLength + 1, 0);
  frame[4] = type;
  frame.set(body, HEADER);
  return frame;
}

/** One frame as decoded; `body` may be a view into the chunk it arrived in. */
export interface Frame {
  type: FrameType;
  body: Buffer;
}

/**
 * Reassembles frames from a byte stream, chunk by chunk, without copying a chunk more than
 * once. Throws `FrameError` on an oversize length or an unknown type; {@link FrameDecoder.end}
 * throws if the stream stopped mid-frame.
 *
 * The body limit can be raised between two frames ({@link FrameDecoder.maxBody}) while bytes
 * of the next frame are already buffered: a peer may send its HELLO and the start of its first
 * message in one packet, and those bytes must survive the switch from handshake limits.
 */
export class FrameDecoder {
  #maxBody: number;
  #chunks: Buffer[] = [];
  #buffered = 0;

  /** @param maxBody largest body accepted (the transport's maximum message size, or handshake limits). */
  constructor(maxBody: number) {
    this.#maxBody = maxBody;
  }

  /** Largest body accepted from the next frame on. */
  get maxBody(): number {
    return this.#maxBody;
  }

  set maxBody(value: number) {
    this.#maxBody = value;
  }

  /** Feeds a chunk; returns the complete frames it finished. */
  push(chunk: Buffer): Frame[] {
    this.append(chunk);
    const frames: Frame[] = [];
    for (let frame = this.next(); frame !== undefined; frame = this.next()) frames.push(frame);
    return frames;
  }

  /** Buffers a chunk without decoding it; take frames with {@link FrameDecoder.next}. */
  append(chunk: Buffer): void {
    if (chunk.byteLength === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.byteLength;
  }

  /** The next complete frame, checked against the limit in force now; `undefined` until one is complete. */
  next(): Frame | undefined {
    if (this.#buffered < 4) return undefined;
    const length = this.#peekLength();
    if (length === 0 || length - 1 > this.#maxBody) {
      throw new FrameError(`Frame length ${length} is outside 1..${this.#maxBody + 1}`);
    }
    if (this.#buffered < 4 + length) return undefined;
    const frame = this.#take(4 + length);
    const type = frame[4]!;
    if (type < FrameType.Challenge || type > FrameType.Data) throw new FrameError(`Unknown frame type ${type}`);
    return { type: type as FrameType, body: frame.subarray(HEADER) };
  }

  /** Bytes received but not yet part of a complete frame. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Call when the stream ends: throws `FrameError` if it ended inside a frame. */
  end(): void {
    if (this.#buffered > 0) throw new FrameError(`Connection ended inside a frame (${this.#buffered} bytes of an incomplete frame)`);
  }

  #peekLength(): number {
    const first = this.#chunks[0]!;
    if (first.byteLength >= 4) return first.readUInt32BE(0);
    const head = Buffer.concat(this.#chunks, Math.min(this.#buffered, 4));
    this.#chunks = [head.byteLength === this.#buffered ? head : Buffer.concat(this.#chunks)];
    return head.readUInt32BE(0);
  }

  #take(count: number): Buffer {
    const first = this.#chunks[0]!;
    this.#buffered -= count;
    if (first.byteLength >= count) {
      // The common case: the frame lies inside one chunk; hand out a view, no copy.
      if (first.byteLength === count) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(count);
      return first.subarray(0, count);
    }
    const out = Buffer.allocUnsafe(count);
    let filled = 0;
    while (filled < count) {
      const chunk = this.#chunks[0]!;
      const n = Math.min(chunk.byteLength, count - filled);
      chunk.copy(out, filled, 0, n);
      filled += n;
      if (n === chunk.byteLength) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(n);
    }
    return out;
  }
}
