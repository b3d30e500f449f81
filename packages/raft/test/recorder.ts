import type { StateMachine } from '../src/index.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Records every applied command; returns it, so the proposer sees what the log holds. */
export class Recorder implements StateMachine<string> {
  applied: string[] = [];
  apply(command: Uint8Array): string {
    const text = decoder.decode(command);
    this.applied.push(text);
    return text;
  }
  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify(this.applied));
  }
  restore(snapshot: Uint8Array): void {
    this.applied = JSON.parse(decoder.decode(snapshot)) as string[];
  }
}
