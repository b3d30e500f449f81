import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LockCommandDecodeError, LockMessageError } from '../src/lock-service/errors.js';
import { encodeLockCommand, type LockCommand, LockStateMachine, stampLockCommand } from '../src/lock-service/lock-state-machine.js';
import { runScenario } from '../src/lock-service/scenario.js';
import { decodeMessage, encodeMessage } from '../src/lock-service/wire.js';

const T0 = 1_700_000_000_000;
const at = (command: LockCommand, ms: number) => stampLockCommand(encodeLockCommand(command), T0 + ms);

describe("Kleppmann's counterexample, in the simulator", () => {
  it('Redlock: a client paused past its lease writes after the next holder — both writes land', async () => {
    const run = await runScenario('redlock', 'pause');
    expect(run.writes.map((write) => [write.client, write.accepted])).toEqual([
      ['c2', true],
      ['c1', true],
    ]);
    expect(run.staleAccepted).toBe(1);
    expect(run.finalValue).toBe('c1 data');
  });

  it("Redlock: one node's clock jumps forward, a second client wins a majority, both writes land", async () => {
    const run = await runScenario('redlock', 'clock-jump');
    expect(run.lines.join('\n')).toMatch(/c1 +holds "file" on r1 r2 r3 \(3\/5\)[\s\S]*c2 +holds "file" on r3 r4 r5 \(3\/5\)/);
    expect(run.staleAccepted).toBe(1);
    expect(run.finalValue).toBe('c1 data');
  });

  it('fenced lock: the paused client’s write carries the older token and is rejected', async () => {
    const run = await runScenario('fenced', 'pause');
    const [first, second] = run.writes;
    expect([first?.client, first?.accepted, second?.client, second?.accepted]).toEqual(['c2', true, 'c1', false]);
    expect(second!.token!).toBeLessThan(first!.token!);
    expect(run.staleAccepted).toBe(0);
    expect(run.finalValue).toBe('c2 data');
    expect(run.lines.join('\n')).toMatch(/a linearizable read says "file" is held by c2/);
  });

  it("fenced lock: the leader's clock jumps forward, the lease ends early, the token check still rejects the stale write", async () => {
    const run = await runScenario('fenced', 'clock-jump');
    expect(run.writes.map((write) => [write.client, write.accepted])).toEqual([
      ['c2', true],
      ['c1', false],
    ]);
    expect(run.staleAccepted).toBe(0);
    expect(run.rejected).toBe(1);
  });

  it('is deterministic, and the diagrams in docs/img are the ones the runs draw', async () => {
    for (const [lock, fault] of [
      ['redlock', 'pause'],
      ['fenced', 'pause'],
      ['redlock', 'clock-jump'],
      ['fenced', 'clock-jump'],
    ] as const) {
      const run = await runScenario(lock, fault);
      const again = await runScenario(lock, fault);
      expect(again.lines).toEqual(run.lines);
      const committed = readFileSync(fileURLToPath(new URL(`../../../docs/img/lock-service-${lock}-${fault}.svg`, import.meta.url)), 'utf8');
      expect(committed, `run npm run locks -w @lattice/examples to redraw docs/img/lock-service-${lock}-${fault}.svg`).toBe(run.svg);
    }
  });
});

describe('LockStateMachine', () => {
  it('grants with the log index as token, refuses while the lease runs, grants again once it has expired by log time', () => {
    const machine = new LockStateMachine();
    const first = machine.apply(at({ op: 'acquire', lock: 'f', client: 'a', req: 1, leaseMs: 100 }, 0), 5);
    expect(first).toMatchObject({ type: 'granted', token: 5, expiresAt: T0 + 100 });
    expect(machine.apply(at({ op: 'acquire', lock: 'f', client: 'b', req: 1, leaseMs: 100 }, 99), 6)).toMatchObject({ type: 'refused', holder: 'a', token: 5 });
    expect(machine.apply(at({ op: 'acquire', lock: 'f', client: 'b', req: 2, leaseMs: 100 }, 100), 7)).toMatchObject({ type: 'granted', client: 'b', token: 7 });
    // The old holder's renew and release are stale; the new holder's go through.
    expect(machine.apply(at({ op: 'renew', lock: 'f', client: 'a', req: 2, token: 5, leaseMs: 100 }, 101), 8)).toMatchObject({ type: 'stale' });
    expect(machine.apply(at({ op: 'renew', lock: 'f', client: 'b', req: 3, token: 7, leaseMs: 100 }, 150), 9)).toMatchObject({ type: 'renewed', token: 7, expiresAt: T0 + 250 });
    expect(machine.apply(at({ op: 'release', lock: 'f', client: 'b', req: 4, token: 7 }, 160), 10)).toMatchObject({ type: 'released' });
    expect(machine.view('f')).toMatchObject({ holder: null });
  });

  it('never lets agreed time run backwards (a new leader whose clock is behind)', () => {
    const machine = new LockStateMachine();
    machine.apply(at({ op: 'acquire', lock: 'f', client: 'a', req: 1, leaseMs: 100 }, 1_000), 1);
    // Stamped earlier than the grant: the lease is still running by agreed time.
    expect(machine.apply(at({ op: 'acquire', lock: 'f', client: 'b', req: 1, leaseMs: 100 }, 0), 2)).toMatchObject({ type: 'refused', at: T0 + 1_000 });
  });

  it('refuses entries that are not its commands, with a typed error, changing nothing', () => {
    const machine = new LockStateMachine();
    machine.apply(at({ op: 'acquire', lock: 'f', client: 'a', req: 1, leaseMs: 100 }, 0), 1);
    const before = machine.snapshot();
    for (const garbage of [new Uint8Array([0xff, 0x00]), new TextEncoder().encode('{"v":1,"at":0,"c":{"op":"steal"}}'), new TextEncoder().encode('[]')]) {
      expect(() => machine.apply(garbage, 2)).toThrow(expect.objectContaining({ code: LockCommandDecodeError.code }));
    }
    expect(() => machine.restore(new TextEncoder().encode('{"now":1,"locks":[["f",{}]]}'))).toThrow(expect.objectContaining({ code: LockCommandDecodeError.code }));
    expect(machine.snapshot()).toEqual(before);
  });

  it('replicas fed the same stamped log agree, also one restored from a snapshot midway, and grant tokens strictly increase', () => {
    const command = fc.record({
      op: fc.constantFrom('acquire', 'renew', 'release'),
      client: fc.constantFrom('a', 'b', 'c'),
      lock: fc.constantFrom('x', 'y'),
      token: fc.integer({ min: 1, max: 40 }),
      leaseMs: fc.integer({ min: 1, max: 300 }),
      step: fc.integer({ min: -50, max: 200 }),
    });
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), fc.nat(40), (commands, cut) => {
        const one = new LockStateMachine();
        let two = new LockStateMachine();
        let time = 0;
        const tokens = new Map<string, number>();
        commands.forEach((c, i) => {
          time += c.step;
          const lockCommand: LockCommand =
            c.op === 'acquire'
              ? { op: 'acquire', lock: c.lock, client: c.client, req: i, leaseMs: c.leaseMs }
              : c.op === 'renew'
                ? { op: 'renew', lock: c.lock, client: c.client, req: i, token: c.token, leaseMs: c.leaseMs }
                : { op: 'release', lock: c.lock, client: c.client, req: i, token: c.token };
          const bytes = at(lockCommand, time);
          if (i === cut) {
            const restored = new LockStateMachine();
            restored.restore(two.snapshot());
            two = restored;
          }
          const outcome = one.apply(bytes, i + 1);
          expect(two.apply(bytes, i + 1)).toEqual(outcome);
          if (outcome.type === 'granted') {
            expect(outcome.token).toBeGreaterThan(tokens.get(outcome.lock) ?? 0);
            tokens.set(outcome.lock, outcome.token);
          }
        });
      }),
    );
  });
});

describe('lock-service messages', () => {
  it('round-trip, and garbage is a LockMessageError', () => {
    const request = { t: 'acquire', req: 3, lock: 'f', leaseMs: 100 } as const;
    expect(decodeMessage(encodeMessage(request))).toEqual(request);
    const bad = ['not json', '{"t":"acquire","req":1,"lock":"","leaseMs":1}', '{"t":"write","req":1,"token":-1,"value":""}', '{"t":"nope","req":1}', '{"t":"set","req":-1,"key":"k","value":"v","ttlMs":1}'];
    for (const text of bad) expect(() => decodeMessage(new TextEncoder().encode(text))).toThrow(expect.objectContaining({ code: LockMessageError.code }));
  });
});
