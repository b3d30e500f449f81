import { describe, expect, it } from 'vitest';
import { CoordinatorCore, compactablePrefix, encodeKvOps, ParticipantCore, type ParticipantRecord } from '../src/index.js';
import { bankAccounts, crossedCrashPlans, randomTransfers, runWorld, threeWay, type WorldOptions } from './world.js';

const PARTICIPANTS = ['p1', 'p2', 'p3'];
const accounts = bankAccounts(PARTICIPANTS);

function expectClean(result: ReturnType<typeof runWorld>, replay: string): void {
  expect(result.problems, replay).toEqual([]);
}

for (const durablePrepare of [false, true]) {
  const mode = { compaction: true, durablePrepare } as const;
  describe(`participant compaction, deterministic world, ${durablePrepare ? 'durable store (log compacted)' : 'store rebuilt from the log (memory only)'}`, () => {
    it('forgets every transaction once the coordinator announces it, and stays atomic at every coordinator × participant crash point', () => {
      const clean = runWorld({ seed: 1, accounts, transfers: threeWay, ...mode });
      expectClean(clean, 'fault-free');
      expect(clean.committed).toBe(2);
      expect(clean.finalKnown).toBe(0);
      if (durablePrepare) {
        expect(clean.finalLog).toBe(0);
        expect(clean.compactedRecords).toBeGreaterThan(0);
      } else expect(clean.finalLog).toBeGreaterThan(0); // MemoryKv is rebuilt from it: kept
      const plans = crossedCrashPlans(clean.boundaries, PARTICIPANTS);
      for (const crashes of plans) expectClean(runWorld({ seed: 1, accounts, transfers: threeWay, crashes, ...mode }), `crashes ${JSON.stringify(crashes)}`);
      expect(plans.length).toBeGreaterThan(300);
    });

    it('stays atomic and conserves money over 300 random schedules', () => {
      let crashes = 0;
      let committed = 0;
      let forgotten = 0;
      for (let seed = 1; seed <= 300; seed++) {
        const transfers = randomTransfers(seed, PARTICIPANTS, 8, 1500);
        const result = runWorld({ seed, accounts, transfers, random: { crash: 0.02, drop: 0.05 }, ...mode });
        expectClean(result, `random seed ${seed}`);
        crashes += result.crashes;
        committed += result.committed;
        forgotten += 8 * 3 - result.finalKnown;
      }
      expect(crashes).toBeGreaterThan(300);
      expect(committed).toBeGreaterThan(300);
      // Most transactions are forgotten everywhere (an announcement lost to a crash or the network is not repeated).
      expect(forgotten).toBeGreaterThan(300 * 8);
    });

    it('keeps memory (and with a durable store the log) bounded over a long run, where without compaction they grow with it', () => {
      const long = { seed: 7, accounts, transfers: randomTransfers(7, PARTICIPANTS, 600, 60_000), random: { crash: 0.002, drop: 0.01 }, faultsUntil: 60_000 };
      const on = runWorld({ ...long, ...mode });
      const off = runWorld({ ...long, durablePrepare });
      expectClean(on, 'compaction on');
      expectClean(off, 'compaction off');
      console.log(
        `600 transfers over 60 s (${durablePrepare ? 'durable' : 'memory'}): most remembered ${on.maxKnown} vs ${off.maxKnown}, longest log ${on.maxLog} vs ${off.maxLog}, at the end ${on.finalKnown} vs ${off.finalKnown} remembered`,
      );
      expect(on.crashes).toBeGreaterThan(50);
      expect(off.maxKnown).toBeGreaterThan(300);
      expect(on.maxKnown).toBeLessThan(40);
      expect(on.finalKnown).toBeLessThan(30);
      if (durablePrepare) {
        expect(off.maxLog).toBeGreaterThan(300);
        expect(on.maxLog).toBeLessThan(300);
        expect(on.maxLog * 3).toBeLessThan(off.maxLog);
      } else expect(on.maxLog).toBeGreaterThan(300); // the log is the store: not compacted
    });
  });
}

describe('deliberate bugs in announcing forgotten are caught by the world', () => {
  const SEED_BUDGET = 300;
  const atomicity = (problem: string): boolean => problem.includes('disagree') || problem.includes('total balance');
  function firstFailingSeed(bugs: WorldOptions['coordinatorBugs'], durablePrepare: boolean, counts: (problem: string) => boolean = () => true): { seed: number; problems: string[] } | undefined {
    for (let seed = 1; seed <= SEED_BUDGET; seed++) {
      const result = runWorld({
        seed,
        accounts,
        transfers: randomTransfers(seed, PARTICIPANTS, 8, 1500),
        random: { crash: 0.02, drop: 0.05 },
        compaction: true,
        durablePrepare,
        coordinatorBugs: bugs!,
      });
      if (result.problems.some(counts)) return { seed, problems: result.problems };
    }
    return undefined;
  }

  for (const durablePrepare of [false, true]) {
    it(`announcing forgotten to a participant before every participant acknowledged breaks atomicity within ${SEED_BUDGET} seeds (${durablePrepare ? 'durable' : 'memory'})`, () => {
      // A participant that forgot a commit answers a peer still in doubt "aborted" (it refuses an unknown gid).
      const found = firstFailingSeed({ announceForgottenEarly: true }, durablePrepare, atomicity);
      expect(found, 'no seed caught it').toBeDefined();
      console.log(`announceForgottenEarly: seed ${found!.seed}: ${found!.problems.join('; ')}`);
    });

    it(`announcing forgotten before the forget record is durable is caught (the run never settles) within ${SEED_BUDGET} seeds (${durablePrepare ? 'durable' : 'memory'})`, () => {
      // A crash loses the forget: the restarted coordinator re-drives a commit the participants forgot, for ever.
      const found = firstFailingSeed({ announceBeforeDurable: true }, durablePrepare);
      expect(found, 'no seed caught it').toBeDefined();
      console.log(`announceBeforeDurable: seed ${found!.seed}: ${found!.problems.join('; ')}`);
    });
  }
});

describe('compaction in the cores', () => {
  const ops = encodeKvOps([{ op: 'add', key: 'x', amount: 1 }]);

  it('a participant forgets a settled gid on "forgotten" from its coordinator only, keeps one still in doubt, and replays a forgotten record', () => {
    const p = new ParticipantCore({ id: 'p1', now: 0 });
    p.step('c', { type: 'prepare', gid: 'g', participants: ['p1', 'p2'], ops });
    p.ready();
    p.voted('g', 'yes');
    const r1 = p.ready();
    p.advance(r1);
    // Not voted yet: kept (its vote will be answered).
    const q = new ParticipantCore({ id: 'p1', now: 0 });
    q.step('c', { type: 'prepare', gid: 'g', participants: ['p1', 'p2'], ops });
    q.step('c', { type: 'forgotten', gid: 'g' });
    expect(q.state('g')).toBe('preparing');
    // In doubt about a gid the coordinator forgot: the answer is "aborted", then it is forgotten.
    q.ready();
    q.voted('g', 'yes');
    q.advance(q.ready());
    q.step('c', { type: 'forgotten', gid: 'g' });
    const undone = q.ready();
    expect(undone.persist).toEqual([
      { type: 'outcome', gid: 'g', outcome: 'aborted', coordinator: 'c' },
      { type: 'forgotten', gid: 'g' },
    ]);
    expect(undone.effects).toEqual([
      { type: 'abort', gid: 'g' },
      { type: 'forget', gid: 'g' },
    ]);
    expect(q.state('g')).toBe('unknown');
    p.step('c', { type: 'decision', gid: 'g', outcome: 'committed' });
    const r2 = p.ready();
    p.advance(r2);
    expect(() => p.step('other', { type: 'forgotten', gid: 'g' })).toThrow(expect.objectContaining({ name: 'ProtocolViolationError' }));
    p.step('c', { type: 'forgotten', gid: 'g' });
    const r3 = p.ready();
    expect(r3.persist).toEqual([{ type: 'forgotten', gid: 'g' }]);
    expect(r3.mustSync).toBe(false);
    expect(r3.effects).toEqual([{ type: 'forget', gid: 'g' }]);
    expect(p.state('g')).toBe('unknown');
    expect(p.knownCount).toBe(0);
    const log: ParticipantRecord[] = [...r1.persist, ...r2.persist, ...r3.persist];
    // Replayed: the store is rebuilt (restore, commit), and the gid is not remembered.
    const replayed = new ParticipantCore({ id: 'p1', now: 0, stored: log });
    expect(replayed.knownCount).toBe(0);
    expect(replayed.ready().effects.map((e) => e.type)).toEqual(['restore', 'commit']);
    expect(compactablePrefix(log)).toBe(3);
    expect(compactablePrefix([...log, { type: 'prepared', gid: 'h', coordinator: 'c', participants: ['p1', 'p2'], ops }, { type: 'outcome', gid: 'g', outcome: 'aborted' }])).toBe(3);
    expect(compactablePrefix([{ type: 'outcome', gid: 'h', outcome: 'aborted' }, ...log])).toBe(0);
  });

  it('a late duplicated prepare of a forgotten commit is prepared again, and the coordinator aborts it (presumed abort)', () => {
    const c = new CoordinatorCore({ now: 0, announceForgotten: true });
    const p = new ParticipantCore({ id: 'p1', now: 0 });
    c.begin('g', [{ participant: 'p1', ops }]);
    const prepare = c.ready();
    c.advance(prepare);
    const prepareMessage = prepare.sendEarly[0]!.message;
    p.step('c', prepareMessage);
    p.advance(p.ready());
    p.voted('g', 'yes');
    const vote = p.ready();
    p.advance(vote);
    c.step('p1', vote.messages[0]!.message);
    const decision = c.ready();
    c.advance(decision);
    p.step('c', decision.messages[0]!.message);
    const ack = p.ready();
    p.advance(ack);
    c.step('p1', ack.messages[0]!.message);
    const forget = c.ready();
    expect(forget.persist).toEqual([{ type: 'forget', gid: 'g' }]);
    expect(forget.mustSync).toBe(true);
    expect(forget.sendEarly).toEqual([]);
    expect(forget.messages).toEqual([{ to: 'p1', message: { type: 'forgotten', gid: 'g' } }]);
    c.advance(forget);
    p.step('c', forget.messages[0]!.message);
    p.advance(p.ready());
    // The duplicate arrives late.
    p.step('c', prepareMessage);
    expect(p.ready().effects).toEqual([{ type: 'prepare', gid: 'g', ops }]);
    p.voted('g', 'yes');
    const vote2 = p.ready();
    p.advance(vote2);
    c.step('p1', vote2.messages[0]!.message);
    const answer = c.ready();
    // Presumed abort, and — nothing known of it — forgotten for good.
    expect(answer.messages).toEqual([
      { to: 'p1', message: { type: 'decision', gid: 'g', outcome: 'aborted' } },
      { to: 'p1', message: { type: 'forgotten', gid: 'g' } },
    ]);
    p.step('c', answer.messages[0]!.message);
    p.step('c', answer.messages[1]!.message);
    expect(p.ready().effects).toEqual([
      { type: 'abort', gid: 'g' },
      { type: 'forget', gid: 'g' },
    ]);
    expect(p.knownCount).toBe(0);
    expect(() => c.step('p1', { type: 'forgotten', gid: 'g' })).toThrow(expect.objectContaining({ name: 'ProtocolViolationError' }));
  });
});
