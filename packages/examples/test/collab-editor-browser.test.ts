import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_ARGS } from '@lattice/test-kit';
import { describeWithChromium } from '@lattice/test-kit/vitest';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Relay, startRelay } from '../src/collab-editor/relay.js';

interface EditorHandle {
  text(): string;
  online(): boolean;
  participants(): { name: string; position: number | undefined }[];
  errors(): string[];
}
declare const editor: EditorHandle;

describeWithChromium('collaborative editor in Chromium', (chromiumPath) => {
  let browser: Browser;
  let relay: Relay;
  let dataDir: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'lattice-editor-browser-'));
    relay = await startRelay({ dataDir });
    browser = await chromium.launch({ executablePath: chromiumPath(), args: [...CHROMIUM_ARGS] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await relay?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function open(name: string): Promise<Page> {
    const page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(`${name}: ${error.message}`));
    await page.goto(`${relay.url}/d/shared?name=${name}`);
    await page.waitForFunction(() => editor.online());
    return page;
  }

  const text = (page: Page) => page.evaluate(() => editor.text());

  /** Waits until every page shows the same text, and returns it. */
  async function converged(pages: Page[], timeoutMs = 15_000): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const texts = await Promise.all(pages.map(text));
      if (texts.every((t) => t === texts[0])) return texts[0]!;
      if (performance.now() > deadline) throw new Error(`pages still differ: ${JSON.stringify(texts)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('two pages typing at once, one going offline and back, end with identical text', async () => {
    const alice = await open('alice');
    const bob = await open('bob');
    // Both type at the same time, at the same place, with real key presses.
    await Promise.all([alice.locator('#text').pressSequentially('Alice was here. ', { delay: 15 }), bob.locator('#text').pressSequentially('Bob too! ', { delay: 15 })]);
    const first = await converged([alice, bob]);
    expect(first).toContain('Alice was here. ');
    expect(first).toContain('Bob too! ');
    expect(first.length).toBe('Alice was here. Bob too! '.length);

    // Bob goes offline; both keep typing; Bob comes back and the edits merge.
    await bob.locator('#offline').check();
    await expect.poll(() => bob.locator('#status').textContent()).toBe('offline');
    await alice.locator('#text').press('Control+End');
    await alice.locator('#text').pressSequentially('[online edit]', { delay: 5 });
    await bob.locator('#text').press('Control+Home');
    await bob.locator('#text').pressSequentially('[offline edit]', { delay: 5 });
    expect(await text(alice)).not.toContain('[offline edit]');
    expect(await text(bob)).not.toContain('[online edit]');
    await bob.locator('#offline').uncheck();
    const merged = await converged([alice, bob]);
    expect(merged.startsWith('[offline edit]')).toBe(true);
    expect(merged.endsWith('[online edit]')).toBe(true);
    expect(await relay.text('shared')).toBe(merged);

    // Each sees the other's cursor, labelled, in the view pane.
    await expect.poll(() => alice.locator('#view .caret[data-name="bob"]').count()).toBe(1);
    await expect.poll(() => bob.locator('#view .caret[data-name="alice"]').count()).toBe(1);
    const bobSeenByAlice = (await alice.evaluate(() => editor.participants())).find((p) => p.name === 'bob');
    expect(bobSeenByAlice?.position).toBe('[offline edit]'.length); // Bob's cursor follows his last key

    // A third page opened later loads the whole document from the relay.
    const carol = await open('carol');
    expect(await text(carol)).toBe(merged);
    const shot = await alice.screenshot();
    expect(shot.subarray(1, 4).toString()).toBe('PNG');
    expect(pageErrors).toEqual([]);
    for (const page of [alice, bob, carol]) expect(await page.evaluate(() => editor.errors())).toEqual([]);
  });

  it('pages reconnect after the relay restarts and the document is still there', async () => {
    const dave = await open('dave');
    const before = await text(dave);
    await relay.close();
    relay = await startRelay({ dataDir, port: relay.port });
    await dave.waitForFunction(() => editor.online(), undefined, { timeout: 15_000 });
    await dave.locator('#text').press('Control+End');
    await dave.locator('#text').pressSequentially('!', { delay: 5 });
    await expect.poll(() => relay.text('shared'), { timeout: 10_000 }).toBe(`${before}!`);
  });
});
