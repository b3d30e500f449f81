import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumSkipReason, findChromium, servicesRequired } from '@lattice/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokenLocalLinks, ensureSite, guides, serveSite, siteDir } from './site.js';

const CHROMIUM = findChromium();
const required = servicesRequired();
const chromiumInstalled = CHROMIUM !== undefined;
const screenshots = join(import.meta.dirname, '../.lattice-tmp/screenshots');

beforeAll(() => ensureSite());

describe('the built site', () => {
  it('has no local link to a missing file or anchor', () => {
    const { pages, links, broken } = brokenLocalLinks();
    expect(pages).toBeGreaterThan(50);
    expect(links).toBeGreaterThan(1000);
    expect(broken.map((link) => `${link.page}: ${link.href} (${link.reason})`)).toEqual([]);
  });

  it('links every guide from the index, by its title', () => {
    const index = readFileSync(join(siteDir, 'index.html'), 'utf8');
    const found = guides().filter((guide) => {
      const page = `documents/${guide.file.replace(/\//g, '_').replace(/\.md$/, '.html')}`;
      return new RegExp(`<a href="${page}"[^>]*>${escapeHtml(guide.title)}</a>`).test(stripCode(index));
    });
    expect(found.map((guide) => guide.title)).toEqual(guides().map((guide) => guide.title));
  });
});

if (!chromiumInstalled && !required) console.log(`[skip] site in Chromium: ${chromiumSkipReason()}`);

describe.skipIf(!chromiumInstalled && !required)('the site in Chromium', () => {
  let context: BrowserContext;
  let profile: string;
  let site: Awaited<ReturnType<typeof serveSite>>;

  beforeAll(async () => {
    if (!chromiumInstalled) throw new Error(`Chromium not found (required under CI): install it with \`apt-get install chromium\``);
    site = await serveSite();
    profile = mkdtempSync(join(tmpdir(), 'lattice-site-chromium-'));
    mkdirSync(screenshots, { recursive: true });
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [...CHROMIUM_ARGS],
    });
  });

  afterAll(async () => {
    await context?.close();
    await site?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /** Opens a page of the site and waits for typedoc's script to show it and fill the sidebar. */
  async function open(path: string): Promise<{ page: Page; errors: string[] }> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      // A failed load is reported below with its URL.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(message.text());
    });
    page.on('response', (response) => {
      // Browsers ask for /favicon.ico on their own; the site has none and links none.
      if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) errors.push(`${response.status()} ${response.url()}`);
    });
    await page.goto(new URL(path, site.url).href);
    // The body is hidden until main.js runs; the sidebar is built from navigation.js.
    await page.waitForFunction(
      () => document.body.style.display !== 'none' && document.querySelectorAll('nav.tsd-navigation a').length > 5,
      undefined,
      { timeout: 15_000 },
    );
    return { page, errors };
  }

  /** Standard deviation of the luminance of a PNG, computed by Chromium's own decoder. */
  async function luminanceSpread(png: Buffer): Promise<{ deviation: number; inked: number }> {
    const page = await context.newPage();
    try {
      return await page.evaluate(async (base64) => {
        const image = new Image();
        image.src = `data:image/png;base64,${base64}`;
        await image.decode();
        const canvas = document.createElement('canvas');
        canvas.width = image.width;
        canvas.height = image.height;
        const context2d = canvas.getContext('2d');
        if (!context2d) throw new Error('no 2d canvas');
        context2d.drawImage(image, 0, 0);
        const { data } = context2d.getImageData(0, 0, image.width, image.height);
        let sum = 0;
        let squares = 0;
        const pixels = data.length / 4;
        const luminance = new Float64Array(pixels);
        for (let i = 0; i < pixels; i++) {
          const value = 0.2126 * (data[i * 4] ?? 0) + 0.7152 * (data[i * 4 + 1] ?? 0) + 0.0722 * (data[i * 4 + 2] ?? 0);
          luminance[i] = value;
          sum += value;
          squares += value * value;
        }
        const mean = sum / pixels;
        let inked = 0;
        for (const value of luminance) if (Math.abs(value - mean) > 40) inked++;
        return { deviation: Math.sqrt(squares / pixels - mean * mean), inked: inked / pixels };
      }, png.toString('base64'));
    } finally {
      await page.close();
    }
  }

  async function expectNotBlank(page: Page, name: string): Promise<void> {
    const png = await page.screenshot({ fullPage: false });
    writeFileSync(join(screenshots, `${name}.png`), png);
    const { deviation, inked } = await luminanceSpread(png);
    // A blank or single-colour page has a deviation near 0; a page of text is well above 20.
    expect(deviation, `${name}.png luminance deviation`).toBeGreaterThan(20);
    expect(inked, `${name}.png share of pixels that differ from the background`).toBeGreaterThan(0.02);
  }

  it('renders the index: one H1, the guides by title in the page and the sidebar', async () => {
    const { page, errors } = await open('index.html');
    expect(await page.title()).toBe('Lattice');
    expect(await page.locator('h1').allInnerTexts()).toEqual(['Lattice']);
    const main = await page.locator('.col-content').innerText();
    const sidebar = await page.locator('nav.tsd-navigation').innerText();
    for (const guide of guides()) {
      expect(main, `index lists "${guide.title}"`).toContain(guide.title);
      expect(sidebar, `sidebar names "${guide.title}"`).toContain(guide.title);
    }
    expect(main).toContain('@lattice/clocks');
    await expectNotBlank(page, 'index');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('renders a package page: one H1, its README and its API', async () => {
    const { page, errors } = await open('modules/_lattice_clocks.html');
    expect(await page.locator('h1').allInnerTexts()).toEqual([expect.stringContaining('@lattice/clocks')]);
    const main = await page.locator('.col-content').innerText();
    expect(main).toContain('LamportClock');
    expect(main).toContain('HybridLogicalClock');
    await expectNotBlank(page, 'package-clocks');
    expect(errors).toEqual([]);
    await page.close();
  });
});

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Link texts with `<code>` inside compare by their words. */
function stripCode(html: string): string {
  return html.replace(/<\/?code>/g, '');
}
