/**
 * Ten SWIM members as real processes over TCP on loopback, every message encrypted with a
 * keyring. Two are SIGKILLed: every survivor must see both dead within the time the profile
 * promises. One is SIGSTOPped until someone suspects it, then SIGCONTinued: it must refute the
 * suspicion (a higher incarnation) and be alive in every view again, never declared dead. Then
 * the keys are rotated across the live processes (install, use, remove): no message is refused.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { DecodeError, ProtocolViolationError, UnsupportedVersionError } from '@lattice/core';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_PROFILE, MessageAuthenticationError, type SwimProfile, suspicionTimeoutMs, UnencryptedMessageError } from '../../src/index.js';
import { freePort } from '@lattice/test-kit';

const script = fileURLToPath(new URL('./swim-node.ts', import.meta.url));
const ids = Array.from({ length: 10 }, (_, i) => `n${i}`);
/** memberlist's local profile at half the probe interval, and a longer suspicion so a stopped member has time to refute. */
const profile: SwimProfile = { ...LOCAL_PROFILE, probeIntervalMs: 500, suspicionMult: 8, pushPullIntervalMs: 5_000 };
const keys = [randomBytes(32), randomBytes(16)].map((key) => key.toString('base64'));
/** Errors that would mean a message was lost or garbled; a send to a killed member failing is expected. */
const MESSAGE_ERRORS = [MessageAuthenticationError.code, UnencryptedMessageError.code, DecodeError.code, UnsupportedVersionError.code, ProtocolViolationError.code];

type View = Record<string, [state: string, incarnation: number]>;
interface Member {
  child: ChildProcess;
  view: View;
  events: { at: number; event: string; id: string; incarnation: number }[];
  errors: string[];
  /** Key-ring commands the member has carried out. */
  keyCommands: number;
  exited: boolean;
}


const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, done: () => boolean, timeoutMs: number): Promise<number> {
  const started = performance.now();
  const deadline = started + timeoutMs;
  while (!done() && performance.now() < deadline) await sleep(20);
  if (!done()) throw new Error(`${what}: not within ${timeoutMs} ms`);
  return performance.now() - started;
}

describe.skipIf(process.platform === 'win32')('SWIM with real processes (TCP, keyring)', () => {
  const members = new Map<string, Member>();
  afterAll(() => {
    for (const m of members.values()) {
      if (m.exited) continue;
      m.child.kill('SIGCONT');
      m.child.kill('SIGKILL');
    }
  });

  it('SIGKILLed members are dead in every view in time; a SIGSTOPped one refutes its suspicion after SIGCONT; a key rotation loses no message', async () => {
    const addresses: string[] = [];
    for (const id of ids) addresses.push(`${id}=127.0.0.1:${await freePort()}`);
    const started = ids.map(
      (id) =>
        new Promise<void>((resolve, reject) => {
          const args = ['--conditions=@lattice/source', '--import', 'tsx', script, id, addresses.join(','), id === 'n0' ? '-' : 'n0', keys.join(','), JSON.stringify(profile)];
          const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
          const member: Member = { child, view: {}, events: [], errors: [], keyCommands: 0, exited: false };
          members.set(id, member);
          const timer = setTimeout(() => reject(new Error(`${id} did not start`)), 30_000);
          let buffered = '';
          child.stdout!.on('data', (chunk: Buffer) => {
            buffered += chunk.toString();
            const lines = buffered.split('\n');
            buffered = lines.pop()!;
            for (const line of lines) {
              if (line === `ready ${id}`) {
                clearTimeout(timer);
                resolve();
                continue;
              }
              const parsed = JSON.parse(line) as { view?: View; event?: string; id?: string; incarnation?: number; error?: string; message?: string; keys?: string };
              if (parsed.view !== undefined) member.view = parsed.view;
              else if (parsed.event !== undefined) member.events.push({ at: performance.now(), event: parsed.event, id: parsed.id!, incarnation: parsed.incarnation! });
              else if (parsed.keys !== undefined) member.keyCommands++;
              else if (parsed.error !== undefined && MESSAGE_ERRORS.includes(parsed.error)) member.errors.push(`${parsed.error}: ${parsed.message}`);
            }
          });
          child.once('exit', () => {
            member.exited = true;
            clearTimeout(timer);
            reject(new Error(`${id} exited`));
          });
        }),
    );
    await Promise.all(started);
    const live = () => ids.filter((id) => !members.get(id)!.exited);
    const stateAt = (observer: string, id: string) => members.get(observer)!.view[id]?.[0];
    const joinMs = await until('all ten alive in every view', () => ids.every((o) => ids.every((id) => stateAt(o, id) === 'alive')), 20_000);

    // The bound the profile gives: the victim is probed within a few periods (each survivor probes
    // it once per pass), then its suspicion runs out — after the shortest timeout once
    // suspicionMult − 2 members confirmed it, after the longest (Lifeguard's ×6) if none did —
    // then the verdict spreads by gossip. Margin for a loaded two-core machine.
    const shortest = suspicionTimeoutMs(profile.suspicionMult, ids.length, profile.probeIntervalMs);
    const longest = profile.suspicionMaxTimeoutMult * shortest;
    const bound = 5 * profile.probeIntervalMs + longest + 3_000;

    const victims = ['n3', 'n7'];
    const killed = performance.now();
    for (const id of victims) members.get(id)!.child.kill('SIGKILL');
    await until('victims exited', () => victims.every((id) => members.get(id)!.exited), 5_000);
    const survivors = live();
    const agreedMs = await until('both victims dead in every survivor view', () => survivors.every((o) => victims.every((id) => stateAt(o, id) === 'dead')), bound);
    const firstSuspicion = Math.min(...survivors.flatMap((o) => members.get(o)!.events.filter((e) => victims.includes(e.id) && e.event === 'suspect').map((e) => e.at))) - killed;
    const firstDead = Math.min(...survivors.flatMap((o) => members.get(o)!.events.filter((e) => victims.includes(e.id) && e.event === 'dead').map((e) => e.at))) - killed;

    // The slow member: stopped until somebody suspects it, then continued.
    const slow = 'n5';
    const others = survivors.filter((id) => id !== slow);
    const before = Math.max(...others.map((o) => members.get(o)!.view[slow]![1]));
    const stopped = performance.now();
    members.get(slow)!.child.kill('SIGSTOP');
    const suspectedMs = await until('the stopped member suspected', () => others.some((o) => members.get(o)!.events.some((e) => e.id === slow && e.event === 'suspect' && e.at > stopped)), bound);
    members.get(slow)!.child.kill('SIGCONT');
    const resumed = performance.now();
    const refutedMs = await until(
      'the continued member alive, with a higher incarnation, in every view',
      () => others.every((o) => stateAt(o, slow) === 'alive' && members.get(o)!.view[slow]![1] > before),
      bound,
    );
    for (const o of others) expect(members.get(o)!.events.filter((e) => e.id === slow && e.event === 'dead' && e.at > stopped), `${o} declared ${slow} dead`).toEqual([]);

    // A key rotation across the live processes, each step on every member before the next.
    const next = randomBytes(32).toString('base64');
    const step = async (commands: string[]) => {
      const target = members.get(survivors[0]!)!.keyCommands + commands.length;
      for (const o of survivors) members.get(o)!.child.stdin!.write(commands.map((c) => `${c}\n`).join(''));
      await until(`key commands ${commands.join(', ')}`, () => survivors.every((o) => members.get(o)!.keyCommands === target), 5_000);
      await sleep(3 * profile.probeIntervalMs); // traffic under this step's keys
    };
    await step([`install ${next}`]);
    await step([`use ${next}`]);
    await step([`remove ${keys[0]}`, `remove ${keys[1]}`]);

    // Settled: every live member holds the same view (victims dead, everyone else alive).
    const expected = Object.fromEntries(ids.map((id) => [id, victims.includes(id) ? 'dead' : 'alive']));
    await until(
      'one view everywhere',
      () => survivors.every((o) => JSON.stringify(Object.fromEntries(ids.map((id) => [id, stateAt(o, id)]))) === JSON.stringify(expected)),
      5_000,
    );
    for (const o of survivors) expect(members.get(o)!.errors, `${o} refused messages`).toEqual([]);
    console.log(
      `swim processes: 10 members joined in ${(joinMs / 1000).toFixed(1)} s; after SIGKILL of 2: first suspicion ${(firstSuspicion / 1000).toFixed(2)} s, first dead ${(firstDead / 1000).toFixed(2)} s, ` +
        `dead in all 8 views ${(agreedMs / 1000).toFixed(2)} s (bound ${(bound / 1000).toFixed(1)} s); SIGSTOP: suspected after ${(suspectedMs / 1000).toFixed(2)} s, ` +
        `alive at a higher incarnation everywhere ${(refutedMs / 1000).toFixed(2)} s after SIGCONT (resumed at +${((resumed - stopped) / 1000).toFixed(2)} s)`,
    );
  }, 90_000);
});
