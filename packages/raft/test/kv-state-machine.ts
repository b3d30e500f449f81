import type { StateMachine } from '../src/index.js';

/** A command of the test KV store. */
export type KvCommand = { op: 'put'; key: string; value: string } | { op: 'append'; key: string; value: string };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const encodeKvCommand = (command: KvCommand): Uint8Array => encoder.encode(JSON.stringify(command));

/** A string KV map as a Raft state machine (keys start as ''); `apply` returns the new value. */
export class KvStateMachine implements StateMachine<string> {
  values = new Map<string, string>();

  apply(command: Uint8Array): string {
    const parsed = JSON.parse(decoder.decode(command)) as KvCommand;
    const value = parsed.op === 'put' ? parsed.value : (this.values.get(parsed.key) ?? '') + parsed.value;
    this.values.set(parsed.key, value);
    return value;
  }

  get(key: string): string {
    return this.values.get(key) ?? '';
  }

  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify([...this.values]));
  }

  restore(snapshot: Uint8Array): void {
    this.values = new Map(JSON.parse(decoder.decode(snapshot)) as [string, string][]);
  }
}
