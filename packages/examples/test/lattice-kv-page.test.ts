/**
 * The cluster page in real headless Chromium: served by a follower of a real 3-process cluster,
 * it shows three nodes and one leader; after the leader is SIGKILLed it shows that node down,
 * a new leader in a higher term, and the election on the space-time strip; after the node
 * restarts, the snapshot it installed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '@lattice/test-kit';
import { describeWithChromium } from '@lattice/test-kit/vitest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KvCluster } from '../src/lattice-kv/cluster.js';
import { RespClient } from '../src/lattice-kv/resp-client.js';

const screenshots = join(import.meta.dirname, '../.lattice-tmp/screenshots');
const VIEWPORT = { width: 1280, height: 800 };

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(png.toString('latin1', 12, 16)).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describeWithChromium('lattice-kv cluster page in Chromium', (chromiumPath) => {
  let cluster: KvCluster;
  let browser: Browser;
  let page: Page;
  let leader: string;
  let viewer: string;
  const errors: string[] = [];

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true });
    cluster = await KvCluster.start({ page: true, snapshotEvery: 50 });
    leader = await cluster.waitForLeader();
    viewer = [...cluster.nodes.keys()].find((id) => id !== leader)!;
    browser = await chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS] });
    page = await browser.newPage({ viewport: VIEWPORT });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`http://127.0.0.1:${cluster.nodes.get(viewer)!.httpPort}/`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  it('shows three nodes, one leader, and commits on the strip', async () => {
    const client = await RespClient.connect(cluster.nodes.get(viewer)!.respPort);
    try {
      for (let i = 0; i < 30; i++) expect(await client.send('SET', `page:${i}`, String(i))).toBe('OK');
    } finally {
      client.close();
    }
    await page.waitForFunction((id) => document.querySelectorAll('#nodes tr').length === 3 && document.querySelector('#summary')?.getAttribute('data-leader') === id, leader, { timeout: 15_000 });
    await page.waitForFunction(() => document.querySelectorAll('#strip line.commit').length > 0 && document.querySelectorAll('#strip circle.election').length > 0, undefined, { timeout: 15_000 });
    const roles = await page.$$eval('#nodes tr', (rows) => rows.map((row) => [row.getAttribute('data-node'), row.getAttribute('data-role')]));
    expect(roles.map(([id]) => id).sort()).toEqual(['a', 'b', 'c']);
    expect(roles.filter(([, role]) => role === 'leader')).toEqual([[leader, 'leader']]);
    expect(await page.textContent('#summary')).toContain(`3/3 nodes up · leader ${leader}`);
    const shot = await page.screenshot();
    writeFileSync(join(screenshots, 'lattice-kv-page.png'), shot);
    expect(pngSize(shot)).toEqual(VIEWPORT);
    expect(errors).toEqual([]);
  }, 40_000);

  it('shows the killed leader down, the new leader and its term, and the election on the strip', async () => {
    const oldTerm = Number(await page.getAttribute(`#nodes tr[data-node="${leader}"]`, 'data-term'));
    await cluster.kill(leader);
    await page.waitForFunction(
      ([killed, term]) => {
        const summary = document.querySelector('#summary');
        const next = summary?.getAttribute('data-leader');
        return document.querySelector(`#nodes tr[data-node="${killed}"]`)?.getAttribute('data-role') === 'down' && next !== '' && next !== killed && Number(summary?.getAttribute('data-term')) > Number(term);
      },
      [leader, oldTerm] as const,
      { timeout: 20_000 },
    );
    const newLeader = await page.getAttribute('#summary', 'data-leader');
    const newTerm = Number(await page.getAttribute('#summary', 'data-term'));
    expect(newLeader).toBe(await cluster.waitForLeader(15_000, leader));
    expect(await page.textContent(`#nodes tr[data-node="${leader}"] td.role`)).toBe('down');
    expect(await page.textContent('#summary')).toContain(`2/3 nodes up · leader ${newLeader}, term ${newTerm}`);
    await page.waitForFunction(
      ([killed, id, term]) => document.querySelector(`#strip rect.down[data-node="${killed}"]`) !== null && document.querySelector(`#strip circle.election[data-node="${id}"][data-term="${term}"]`) !== null,
      [leader, newLeader, newTerm] as const,
      { timeout: 10_000 },
    );
    const shot = await page.screenshot();
    writeFileSync(join(screenshots, 'lattice-kv-page-after-kill.png'), shot);
    expect(pngSize(shot)).toEqual(VIEWPORT);
    expect(errors).toEqual([]);
  }, 40_000);

  it('shows the restarted node back, catching up from a snapshot', async () => {
    // More writes than the snapshot interval: the leader compacts past what the killed node has.
    const client = await RespClient.connect(cluster.nodes.get(viewer)!.respPort);
    try {
      for (let i = 0; i < 120; i++) expect(await client.send('SET', `later:${i}`, String(i))).toBe('OK');
    } finally {
      client.close();
    }
    await cluster.startNode(leader);
    await page.waitForFunction(
      (killed) => {
        const row = document.querySelector(`#nodes tr[data-node="${killed}"]`);
        const cells = row?.querySelectorAll('td');
        return row?.getAttribute('data-role') === 'follower' && Number(cells?.[8]?.textContent) >= 1 && cells?.[6]?.textContent === '0' && document.querySelector(`#strip path.snapshot[data-node="${killed}"]`) !== null;
      },
      leader,
      { timeout: 20_000 },
    );
    expect(await page.textContent('#summary')).toContain('3/3 nodes up');
    const shot = await page.screenshot();
    writeFileSync(join(screenshots, 'lattice-kv-page-after-restart.png'), shot);
    expect(pngSize(shot)).toEqual(VIEWPORT);
    expect(errors).toEqual([]);
  }, 40_000);
});
