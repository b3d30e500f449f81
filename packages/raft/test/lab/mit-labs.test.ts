/**
 * The scenarios of MIT 6.5840's Raft labs (2A elections, 2B agreement, 2C persistence, 2D
 * snapshots), named after the originals (`TestInitialElection3A`, …) so a reader can compare,
 * run as deterministic simulations: virtual time, seeded, replayable. The test scripts follow
 * the labs' `test_test.go`; the checks are those of their `config.go` (see lab.ts).
 */
import { describe, it } from 'vitest';
import { ELECTION_TIMEOUT, Lab } from './lab.js';

const expect = (condition: boolean, message: string): void => {
  if (!condition) throw new Error(message);
};

function lab(name: string, options: ConstructorParameters<typeof Lab>[0], script: (lab: Lab) => Promise<void>, timeoutMs = 60_000): void {
  it(name, async () => {
    await new Lab(options).run(script);
  }, timeoutMs);
}

describe('MIT 6.5840 2A: leader election', () => {
  lab('InitialElection', { servers: 3 }, async (l) => {
    await l.checkOneLeader();
    await l.sleep(50);
    const term1 = l.checkTerms();
    expect(term1 >= 1, `term is ${term1}, but should be at least 1`);
    // Does the leader + term stay the same if there is no network failure?
    await l.sleep(2 * ELECTION_TIMEOUT * 2);
    const term2 = l.checkTerms();
    expect(term1 === term2, 'term changed even though there were no failures');
    await l.checkOneLeader();
  });

  lab('ReElection', { servers: 3 }, async (l) => {
    const leader1 = await l.checkOneLeader();
    // If the leader disconnects, a new one should be elected.
    l.disconnect(leader1);
    await l.checkOneLeader();
    // If the old leader rejoins, that shouldn't disturb the new leader.
    l.connect(leader1);
    const leader2 = await l.checkOneLeader();
    // If there's no quorum, no new leader should be elected.
    l.disconnect(leader2);
    l.disconnect(l.ids[(Number(leader2.slice(1)) + 1) % 3]!);
    await l.sleep(2 * ELECTION_TIMEOUT * 2);
    await l.checkNoLeader();
    // If a quorum arises, it should elect a leader.
    l.connect(l.ids[(Number(leader2.slice(1)) + 1) % 3]!);
    await l.checkOneLeader();
    // Re-join of the last node shouldn't prevent leader from existing.
    l.connect(leader2);
    await l.checkOneLeader();
  });

  lab('ManyElections', { servers: 7, seed: 3 }, async (l) => {
    await l.checkOneLeader();
    for (let iteration = 0; iteration < 10; iteration++) {
      const picks = [l.random(7), l.random(7), l.random(7)].map((i) => l.ids[i]!);
      for (const id of picks) l.disconnect(id);
      // Either the current leader should still be alive, or the remaining four should elect a new one.
      await l.checkOneLeader();
      for (const id of picks) l.connect(id);
    }
    await l.checkOneLeader();
  });
});

describe('MIT 6.5840 2B: log agreement', () => {
  lab('BasicAgree', { servers: 3 }, async (l) => {
    for (let index = 1; index < 4; index++) {
      const before = l.nCommitted(index + 1).count;
      expect(before === 0, 'some have committed before Start()');
      await l.one(`cmd-${index * 100}`, 3, false);
    }
  });

  lab('RPCBytes', { servers: 3 }, async (l) => {
    await l.one('99', 3, false);
    const before = l.totalBytes();
    let sent = 0;
    for (let index = 2; index < 10; index++) {
      const command = 'x'.repeat(5000);
      await l.one(command, 3, false);
      sent += command.length;
    }
    const got = l.totalBytes() - before;
    const expected = sent * 2; // each command goes to 2 followers
    expect(got <= expected + 50_000, `too many RPC bytes; got ${got}, expected ${expected}`);
  });

  lab('FollowerFailure', { servers: 3 }, async (l) => {
    await l.one('101', 3, false);
    // Disconnect one follower from the network.
    const leader1 = await l.checkOneLeader();
    l.disconnect(l.ids[(Number(leader1.slice(1)) + 1) % 3]!);
    // The leader and remaining follower should be able to agree despite the disconnected follower.
    await l.one('102', 2, false);
    await l.sleep(ELECTION_TIMEOUT * 2);
    await l.one('103', 2, false);
    // Disconnect the remaining follower.
    const leader2 = await l.checkOneLeader();
    l.disconnect(l.ids[(Number(leader2.slice(1)) + 1) % 3]!);
    l.disconnect(l.ids[(Number(leader2.slice(1)) + 2) % 3]!);
    // Submit a command: it must not be committed.
    // (Indexes run ahead of the labs' by one no-op entry per leader's term: etcd-style Raft appends one on election.)
    const placed = l.start(leader2, '104');
    expect(placed !== undefined, 'the leader refused the command');
    await l.sleep(2 * ELECTION_TIMEOUT * 2);
    expect(l.nCommitted(placed!.index).count === 0, `${l.nCommitted(placed!.index).count} committed but no majority`);
  });

  lab('LeaderFailure', { servers: 3 }, async (l) => {
    await l.one('101', 3, false);
    const leader1 = await l.checkOneLeader();
    l.disconnect(leader1);
    // The remaining followers should elect a new leader.
    await l.one('102', 2, false);
    await l.sleep(ELECTION_TIMEOUT * 2);
    await l.one('103', 2, false);
    const leader2 = await l.checkOneLeader();
    l.disconnect(leader2);
    // Submit a command to each server: none can commit it.
    const placed = l.ids.map((id) => l.start(id, '104')).filter((p) => p !== undefined);
    await l.sleep(2 * ELECTION_TIMEOUT * 2);
    for (const { index } of placed) {
      const { count, command } = l.nCommitted(index);
      expect(command !== '104', `${count} committed 104 at ${index} but no majority`);
    }
  });

  lab('FailAgree', { servers: 3 }, async (l) => {
    await l.one('101', 3, false);
    const leader = await l.checkOneLeader();
    const follower = l.ids[(Number(leader.slice(1)) + 1) % 3]!;
    l.disconnect(follower);
    // The leader and remaining follower should be able to agree despite the disconnected follower.
    for (const command of ['102', '103', '104', '105']) await l.one(command, 2, false);
    // Re-connect.
    l.connect(follower);
    // The full set of servers should preserve previous agreements, and be able to agree on new commands.
    await l.one('106', 3, true);
    await l.sleep(ELECTION_TIMEOUT * 2);
    await l.one('107', 3, true);
  });

  lab('FailNoAgree', { servers: 5 }, async (l) => {
    await l.one('10', 5, false);
    // Three of five followers disconnect.
    const leader = await l.checkOneLeader();
    const n = Number(leader.slice(1));
    for (const k of [1, 2, 3]) l.disconnect(l.ids[(n + k) % 5]!);
    const placed = l.start(leader, '20');
    expect(placed !== undefined, 'the leader refused the command');
    await l.sleep(2 * ELECTION_TIMEOUT * 2);
    expect(l.nCommitted(placed!.index).count === 0, `${l.nCommitted(placed!.index).count} committed but no majority`);
    // Repair.
    for (const k of [1, 2, 3]) l.connect(l.ids[(n + k) % 5]!);
    // The disconnected majority may have chosen a leader from among their own ranks, forgetting index 2.
    const leader2 = await l.checkOneLeader();
    const again = l.start(leader2, '30');
    expect(again !== undefined && again.index >= placed!.index - 1, `unexpected index ${again?.index}`);
    await l.one('1000', 5, true);
  });

  lab('ConcurrentStarts', { servers: 3 }, async (l) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const leader = await l.checkOneLeader();
      const first = l.start(leader, 'first');
      if (first === undefined) continue;
      const indexes: number[] = [];
      for (let i = 0; i < 5; i++) {
        const placed = l.start(leader, `c${100 + i}`);
        if (placed === undefined || placed.term !== first.term) break;
        indexes.push(placed.index);
      }
      if (indexes.length < 5) continue;
      const commands: string[] = [];
      for (const index of indexes) {
        const command = await l.wait(index, 3, first.term);
        if (command === undefined) break;
        commands.push(command);
      }
      if (commands.length < 5) continue; // the term moved on: try again
      for (let i = 0; i < 5; i++) expect(commands.includes(`c${100 + i}`), `c${100 + i} missing`);
      return;
    }
    throw new Error('term changed too often');
  });

  lab('Rejoin', { servers: 3 }, async (l) => {
    await l.one('101', 3, true);
    // The leader network failure.
    const leader1 = await l.checkOneLeader();
    l.disconnect(leader1);
    // Make old leader try to agree on some entries.
    l.start(leader1, '102');
    l.start(leader1, '103');
    l.start(leader1, '104');
    // A new leader commits, also for index 2.
    await l.one('103', 2, true);
    // The new leader's network fails.
    const leader2 = await l.checkOneLeader();
    l.disconnect(leader2);
    // The old leader connected again.
    l.connect(leader1);
    await l.one('104', 2, true);
    // All together now.
    l.connect(leader2);
    await l.one('105', 3, true);
  });

  lab('Backup', { servers: 5, seed: 2 }, async (l) => {
    await l.one('start', 5, true);
    // Put the leader and one follower in a partition.
    const leader1 = await l.checkOneLeader();
    const n = Number(leader1.slice(1));
    for (const k of [2, 3, 4]) l.disconnect(l.ids[(n + k) % 5]!);
    // Submit lots of commands that won't commit.
    for (let i = 0; i < 50; i++) l.start(leader1, `lost-${i}`);
    await l.sleep(ELECTION_TIMEOUT / 2);
    l.disconnect(l.ids[n]!);
    l.disconnect(l.ids[(n + 1) % 5]!);
    // Allow the other partition to recover.
    for (const k of [2, 3, 4]) l.connect(l.ids[(n + k) % 5]!);
    // Lots of successful commands to the new group.
    for (let i = 0; i < 50; i++) await l.one(`a-${i}`, 3, true);
    // Now another partitioned leader and one follower.
    const leader2 = await l.checkOneLeader();
    const m = Number(leader2.slice(1));
    let other = (n + 2) % 5;
    if (other === m) other = (m + 1) % 5;
    l.disconnect(l.ids[other]!);
    // Lots more commands that won't commit.
    for (let i = 0; i < 50; i++) l.start(leader2, `lost2-${i}`);
    await l.sleep(ELECTION_TIMEOUT / 2);
    // Bring the original leader back to life.
    for (const id of l.ids) l.disconnect(id);
    l.connect(l.ids[n]!);
    l.connect(l.ids[(n + 1) % 5]!);
    l.connect(l.ids[other]!);
    // Lots of successful commands to the new group.
    for (let i = 0; i < 50; i++) await l.one(`b-${i}`, 3, true);
    // Now everyone.
    for (const id of l.ids) l.connect(id);
    await l.one('end', 5, true);
  }, 120_000);

  lab('Count', { servers: 3 }, async (l) => {
    await l.checkOneLeader();
    const electionMessages = l.totalMessages();
    expect(electionMessages <= 60 * 3, `too many messages (${electionMessages}) for the initial election`);
    // Agreement: about one round of appends and answers per command, plus heartbeats.
    for (let attempt = 0; attempt < 3; attempt++) {
      const leader = await l.checkOneLeader();
      const before = l.totalMessages();
      const first = l.start(leader, '1');
      if (first === undefined) continue;
      let ok = true;
      for (let i = 1; i < 11 && ok; i++) ok = l.start(leader, `${i + 1}`) !== undefined;
      if (!ok) continue;
      for (let i = 0; i < 11; i++) if ((await l.wait(first.index + i, 3, first.term)) === undefined) ok = false;
      if (!ok) continue;
      const used = l.totalMessages() - before;
      expect(used <= (11 + 1 + 3) * 3 * 2 + 60, `too many messages (${used}) for 11 entries`);
      break;
    }
    // Idle: heartbeats only.
    await l.sleep(ELECTION_TIMEOUT);
    const idleBefore = l.totalMessages();
    await l.sleep(1000);
    const idle = l.totalMessages() - idleBefore;
    expect(idle <= 3 * 20 * 2, `too many messages (${idle}) for 1 second of idleness`);
  });
});

describe('MIT 6.5840 2C: persistence', () => {
  lab('Persist1', { servers: 3 }, async (l) => {
    await l.one('11', 3, true);
    // Crash and re-start all.
    for (const id of l.ids) l.restart(id);
    await l.one('12', 3, true);
    const leader1 = await l.checkOneLeader();
    l.restart(leader1);
    await l.one('13', 3, true);
    const leader2 = await l.checkOneLeader();
    l.crash(leader2);
    await l.one('14', 2, true);
    l.restart(leader2);
    await l.wait(4, 3, -1); // wait for leader2 to join before killing i3
    const leader3 = await l.checkOneLeader();
    const i3 = l.ids[(Number(leader3.slice(1)) + 1) % 3]!;
    l.crash(i3);
    await l.one('15', 2, true);
    l.restart(i3);
    await l.one('16', 3, true);
  });

  lab('Persist2', { servers: 5, seed: 4 }, async (l) => {
    let index = 1;
    for (let iteration = 0; iteration < 5; iteration++) {
      await l.one(`${10 + index++}`, 5, true);
      const leader1 = Number((await l.checkOneLeader()).slice(1));
      l.crash(l.ids[(leader1 + 1) % 5]!);
      l.crash(l.ids[(leader1 + 2) % 5]!);
      await l.one(`${10 + index++}`, 3, true);
      l.crash(l.ids[leader1]!);
      l.crash(l.ids[(leader1 + 3) % 5]!);
      l.crash(l.ids[(leader1 + 4) % 5]!);
      l.restart(l.ids[(leader1 + 1) % 5]!);
      l.restart(l.ids[(leader1 + 2) % 5]!);
      await l.sleep(ELECTION_TIMEOUT * 2);
      l.restart(l.ids[(leader1 + 3) % 5]!);
      await l.one(`${10 + index++}`, 3, true);
      l.restart(l.ids[(leader1 + 4) % 5]!);
      l.restart(l.ids[leader1]!);
    }
    await l.one('1000', 5, true);
  }, 120_000);

  lab('Persist3', { servers: 3 }, async (l) => {
    await l.one('101', 3, true);
    const leader = Number((await l.checkOneLeader()).slice(1));
    l.disconnect(l.ids[(leader + 2) % 3]!);
    await l.one('102', 2, true);
    l.crash(l.ids[leader]!);
    l.crash(l.ids[(leader + 1) % 3]!);
    l.connect(l.ids[(leader + 2) % 3]!);
    l.restart(l.ids[leader]!);
    await l.one('103', 2, true);
    l.restart(l.ids[(leader + 1) % 3]!);
    await l.one('104', 3, true);
  });

  async function figure8(l: Lab, unreliable: boolean): Promise<void> {
    if (unreliable) l.setUnreliable(true);
    await l.one('first', 1, true);
    let up = l.ids.length;
    for (let iteration = 0; iteration < (unreliable ? 300 : 200); iteration++) {
      if (unreliable && iteration === 200) l.setUnreliable(true);
      let leader: string | undefined;
      for (const id of l.ids) {
        if (l.start(id, `f${iteration}`) !== undefined && l.connected(id)) leader = id;
      }
      await l.sleep(l.random(10) === 0 ? l.random(ELECTION_TIMEOUT * 2) : l.random(13));
      if (leader !== undefined && (unreliable ? l.random(1000) < ELECTION_TIMEOUT / 2 : true)) {
        if (unreliable) l.disconnect(leader);
        else l.crash(leader);
        up--;
      }
      if (up < 3) {
        const down = l.ids.filter((id) => !l.connected(id));
        const pick = down[l.random(down.length)]!;
        if (unreliable) l.connect(pick);
        else l.restart(pick);
        up++;
      }
    }
    for (const id of l.ids) {
      if (unreliable) l.connect(id);
      else if (!l.connected(id)) l.restart(id);
    }
    if (unreliable) l.setUnreliable(false);
    await l.one('last', l.ids.length, true);
  }

  lab('Figure8', { servers: 5, seed: 8 }, (l) => figure8(l, false), 120_000);

  lab('UnreliableAgree', { servers: 5, unreliable: true }, async (l) => {
    const work: Promise<number>[] = [];
    for (let iteration = 1; iteration < 50; iteration++) {
      for (let j = 0; j < 4; j++) work.push(l.one(`${100 * iteration + j}`, 1, true));
      await l.one(`${iteration}`, 1, true);
    }
    l.setUnreliable(false);
    await Promise.all(work);
    await l.one('100', 5, true);
  }, 120_000);

  lab('Figure8Unreliable', { servers: 5, seed: 9 }, (l) => figure8(l, true), 120_000);

  async function churn(l: Lab, unreliable: boolean): Promise<void> {
    if (unreliable) l.setUnreliable(true);
    let stop = false;
    const committed: string[] = [];
    const client = async (me: number) => {
      let k = 0;
      while (!stop) {
        const command = `churn-${me}-${k++}`;
        for (const id of l.ids) {
          const placed = l.start(id, command);
          if (placed === undefined) continue;
          for (let wait = 10; wait < 1000 && !stop; wait *= 2) {
            await l.sleep(wait);
            if (l.nCommitted(placed.index).command === command) {
              committed.push(command);
              break;
            }
          }
          break;
        }
        await l.sleep(79 + me * 17);
      }
    };
    const clients = [0, 1, 2].map(client);
    for (let iteration = 0; iteration < 20; iteration++) {
      if (l.random(1000) < 200) l.disconnect(l.ids[l.random(5)]!);
      if (l.random(1000) < 500) {
        const id = l.ids[l.random(5)]!;
        if (!l.sim.isUp(id)) l.restart(id);
        l.connect(id);
      }
      if (l.random(1000) < 200) {
        const id = l.ids[l.random(5)]!;
        if (l.sim.isUp(id)) l.crash(id);
      }
      await l.sleep((ELECTION_TIMEOUT * 7) / 10);
    }
    await l.sleep(ELECTION_TIMEOUT);
    l.setUnreliable(false);
    for (const id of l.ids) {
      if (!l.sim.isUp(id)) l.restart(id);
      l.connect(id);
    }
    stop = true;
    await Promise.all(clients);
    await l.sleep(ELECTION_TIMEOUT);
    const last = await l.one('end', 5, true);
    // Every command a client saw committed is in the log everyone agrees on.
    const agreed = new Set<string>();
    for (let index = 1; index <= last; index++) {
      const { command } = l.nCommitted(index);
      if (command !== undefined) agreed.add(command);
    }
    for (const command of committed) expect(agreed.has(command), `${command} was committed but is missing from the agreed log`);
    expect(committed.length > 0, 'nothing committed during the churn');
  }

  lab('ReliableChurn', { servers: 5, seed: 11 }, (l) => churn(l, false), 120_000);
  lab('UnreliableChurn', { servers: 5, seed: 12 }, (l) => churn(l, true), 120_000);
});

describe('MIT 6.5840 2D: log compaction', () => {
  async function snapCommon(l: Lab, disconnect: boolean, reliable: boolean, crash: boolean): Promise<void> {
    if (!reliable) l.setUnreliable(true);
    await l.one(`r${l.random(1000)}`, 3, true);
    let leader1 = await l.checkOneLeader();
    for (let iteration = 0; iteration < 20; iteration++) {
      let victim = l.ids[(Number(leader1.slice(1)) + 1) % 3]!;
      let sender = leader1;
      if (iteration % 3 === 1) {
        sender = l.ids[(Number(leader1.slice(1)) + 1) % 3]!;
        victim = leader1;
      }
      if (disconnect) l.disconnect(victim);
      if (crash) l.crash(victim);
      // Perhaps send enough to get a snapshot.
      const n = 10 + 1 + l.random(10);
      for (let i = 0; i < n; i++) l.start(sender, `s${iteration}.${i}`);
      // Let applier threads catch up with the Start()'s.
      await l.one(`t${iteration}`, 2, true);
      if (disconnect) {
        // Reconnect a follower, who maybe behind and needs to receive a snapshot.
        l.connect(victim);
        await l.one(`u${iteration}`, 3, true);
        leader1 = await l.checkOneLeader();
      }
      if (crash) {
        l.restart(victim);
        await l.one(`v${iteration}`, 3, true);
        leader1 = await l.checkOneLeader();
      }
    }
  }

  lab('SnapshotBasic', { servers: 3, snapshotEvery: 10 }, (l) => snapCommon(l, false, true, false), 120_000);
  lab('SnapshotInstall', { servers: 3, snapshotEvery: 10 }, (l) => snapCommon(l, true, true, false), 120_000);
  lab('SnapshotInstallUnreliable', { servers: 3, snapshotEvery: 10 }, (l) => snapCommon(l, true, false, false), 120_000);
  lab('SnapshotInstallCrash', { servers: 3, snapshotEvery: 10 }, (l) => snapCommon(l, false, true, true), 120_000);
  lab('SnapshotInstallUnCrash', { servers: 3, snapshotEvery: 10 }, (l) => snapCommon(l, false, false, true), 120_000);

  lab('SnapshotAllCrash', { servers: 3, snapshotEvery: 10 }, async (l) => {
    await l.one(`r${l.random(1000)}`, 3, true);
    for (let iteration = 0; iteration < 5; iteration++) {
      // Perhaps enough to get a snapshot.
      const n = 10 + 1 + l.random(10);
      for (let i = 0; i < n; i++) await l.one(`a${iteration}.${i}`, 3, true);
      const before = await l.one(`b${iteration}`, 3, true);
      // Crash all.
      for (const id of l.ids) l.restart(id);
      const after = await l.one(`c${iteration}`, 3, true);
      expect(after >= before + 1, `index decreased from ${before} to ${after}`);
    }
  }, 120_000);

  lab('SnapshotInit', { servers: 3, snapshotEvery: 10 }, async (l) => {
    await l.one(`r${l.random(1000)}`, 3, true);
    // Enough ops to make a snapshot.
    for (let i = 0; i < 10 + 1; i++) await l.one(`x${i}`, 3, true);
    // Crash all; the state machines come back from their snapshots.
    for (const id of l.ids) l.restart(id);
    // A single op, to get something to be written back to persistent storage.
    await l.one('after-restart', 3, true);
    // Crash all again.
    for (const id of l.ids) l.restart(id);
    // Do another op to trigger potential bug.
    await l.one('after-second-restart', 3, true);
  });
});
