import type { StateMachine } from '../src/index.js';

/**
 * The benchmark's state machine: a map of binary keys to values. A command is
 * `u8 keyLength | key | value`; `apply` stores the value and returns the entry's index (as
 * etcd's put answers with the revision).
 */
export class BinaryKv implements StateMachine<number> {
  values = new Map<string, Uint8Array>();

  static command(key: Uint8Array, value: Uint8Array): Uint8Array {
    const command = new Uint8Array(1 + key.byteLength + value.byteLength);
    command[0] = key.byteLength;
    command.set(key, 1);
    command.set(value, 1 + key.byteLength);
    return command;
  }

  apply(command: Uint8Array, index: number): number {
    const keyLength = command[0]!;
    const key = Buffer.from(command.buffer, command.byteOffset + 1, keyLength).toString('latin1');
    this.values.set(key, command.subarray(1 + keyLength));
    return index;
  }

  snapshot(): Uint8Array {
    const parts: Buffer[] = [];
    for (const [key, value] of this.values) {
      const head = Buffer.allocUnsafe(5 + key.length);
      head[0] = key.length;
      head.write(key, 1, 'latin1');
      head.writeUInt32BE(value.byteLength, 1 + key.length);
      parts.push(head, Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    }
    return Buffer.concat(parts);
  }

  restore(snapshot: Uint8Array): void {
    const buffer = Buffer.from(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength);
    const values = new Map<string, Uint8Array>();
    let offset = 0;
    while (offset < buffer.length) {
      const keyLength = buffer[offset]!;
      const key = buffer.toString('latin1', offset + 1, offset + 1 + keyLength);
      const valueLength = buffer.readUInt32BE(offset + 1 + keyLength);
      const start = offset + 5 + keyLength;
      values.set(key, Uint8Array.prototype.slice.call(buffer, start, start + valueLength));
      offset = start + valueLength;
    }
    this.values = values;
  }
}
