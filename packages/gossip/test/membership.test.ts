import { describe, expect, it } from 'vitest';
import { LOCAL_PROFILE } from '../src/index.js';
import { Cluster } from './cluster.js';

describe('membership', () => {
  it('members joining through a seed converge to everyone alive (over the binary codec)', () => {
    for (const seed of [1, 2, 3]) {
      const cluster = new Cluster({ seed, size: 10, wire: true });
      cluster.bootstrap();
      expect(cluster.converged()).toBe(true);
      for (const id of cluster.ids) expect(cluster.core(id).members().map((m) => m.id).sort()).toEqual([...cluster.ids].sort());
    }
  });

  it('a crashed member is declared dead by everyone', () => {
    const cluster = new Cluster({ seed: 4, size: 10 });
    cluster.bootstrap();
    cluster.crash('n5');
    const live = cluster.ids.filter((id) => id !== 'n5');
    const done = cluster.runUntil(() => live.every((id) => cluster.core(id).member('n5')?.state === 'dead'), cluster.now + 60_000);
    expect(done).toBe(true);
  });

  it('a graceful leave is seen as leave, not as a failure', () => {
    const cluster = new Cluster({ seed: 5, size: 8 });
    cluster.bootstrap();
    cluster.run('n3', (core) => core.leave());
    cluster.runFor(5_000);
    for (const id of cluster.ids.filter((id) => id !== 'n3')) expect(cluster.core(id).member('n3')?.state ?? 'left').toBe('left');
    expect(cluster.events.filter((e) => e.event.member.id === 'n3' && e.event.kind === 'dead')).toEqual([]);
    expect(cluster.events.filter((e) => e.event.member.id === 'n3' && e.event.kind === 'leave').length).toBe(7);
  });

  it('metadata updates reach everyone as update events', () => {
    const cluster = new Cluster({ seed: 6, size: 12 });
    cluster.bootstrap();
    cluster.run('n2', (core) => core.updateMetadata(new TextEncoder().encode('zone=b')));
    cluster.runFor(5_000);
    for (const id of cluster.ids) expect(new TextDecoder().decode(cluster.core(id).member('n2')!.meta)).toBe('zone=b');
    expect(cluster.events.filter((e) => e.event.kind === 'update' && e.event.member.id === 'n2').length).toBe(11);
  });

  it('a stopped-then-continued member refutes its suspicion and is never declared dead', () => {
    for (const seed of [7, 8, 9]) {
      const cluster = new Cluster({ seed, size: 10 });
      cluster.bootstrap();
      cluster.pause('n4', 60_000);
      const suspected = () => cluster.events.some((e) => e.event.kind === 'suspect' && e.event.member.id === 'n4');
      expect(cluster.runUntil(suspected, cluster.now + 30_000, 1)).toBe(true);
      cluster.runFor(500); // still stalled a little after the first suspicion, well within its timeout
      cluster.resume('n4');
      cluster.runFor(20_000);
      expect(cluster.events.some((e) => e.event.kind === 'dead' && e.event.member.id === 'n4')).toBe(false);
      expect(cluster.core('n4').stats().refutations).toBeGreaterThan(0);
      expect(cluster.converged()).toBe(true);
    }
  });

  it('a partition: each side declares the other dead, and push/pull re-merges them after the heal', () => {
    const profile = { ...LOCAL_PROFILE, pushPullIntervalMs: 5_000 };
    const cluster = new Cluster({ seed: 10, size: 10, profile });
    cluster.bootstrap();
    const a = cluster.ids.slice(0, 5);
    const b = cluster.ids.slice(5);
    cluster.partition([a, b]);
    cluster.runFor(30_000);
    for (const x of a) for (const y of b) expect(cluster.core(x).member(y)?.state).toBe('dead');
    for (const y of b) for (const x of a) expect(cluster.core(y).member(x)?.state).toBe('dead');
    cluster.heal();
    expect(cluster.runUntil(() => cluster.converged(), cluster.now + 60_000, 100)).toBe(true);
  });
});
