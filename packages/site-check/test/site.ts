import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const siteDir = join(repositoryRoot, 'docs/api');

/**
 * The built site. `npm test` builds it first (turbo: this package's `test` depends on the root's
 * `docs:site`); a direct `npx vitest run` here builds it when it is missing.
 */
export function ensureSite(): void {
  if (existsSync(join(siteDir, 'index.html'))) return;
  console.log('[site-check] docs/api/index.html is missing: building the site (npx typedoc)');
  execFileSync('npx', ['--no-install', 'typedoc'], { cwd: repositoryRoot, stdio: 'inherit' });
}

/** A hand-written guide: `docs/<name>.md` and the title its first heading gives. */
export interface Guide {
  file: string;
  title: string;
}

/** Every guide in `docs/`, titled by its first `# heading` (inline code marks removed). */
export function guides(): Guide[] {
  const docs = join(repositoryRoot, 'docs');
  return readdirSync(docs)
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => {
      const heading = /^#\s+(.+)$/m.exec(readFileSync(join(docs, name), 'utf8'));
      if (!heading?.[1]) throw new Error(`docs/${name} has no "# Title" heading`);
      return { file: `docs/${name}`, title: heading[1].replace(/[`*_]/g, '').trim() };
    });
}

/** A local link whose target file, or the anchor in it, is not in the built site. */
export interface BrokenLink {
  page: string;
  href: string;
  reason: string;
}

function htmlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return htmlFiles(path);
    return entry.name.endsWith('.html') ? [path] : [];
  });
}

const ATTRIBUTE = /\s(?:href|src)="([^"]*)"/g;
const ID = /\sid="([^"]*)"/g;

/**
 * Checks every `href`/`src` of every page that stays inside the site: the file must exist, and
 * an anchor (`page.html#section`) must name an element id of that page.
 */
export function brokenLocalLinks(): { pages: number; links: number; broken: BrokenLink[] } {
  const pages = htmlFiles(siteDir);
  const ids = new Map<string, Set<string>>();
  const idsOf = (file: string): Set<string> => {
    let found = ids.get(file);
    if (!found) {
      found = new Set([...readFileSync(file, 'utf8').matchAll(ID)].map((match) => decodeEntities(match[1] ?? '')));
      ids.set(file, found);
    }
    return found;
  };
  const broken: BrokenLink[] = [];
  let links = 0;
  for (const page of pages) {
    const html = readFileSync(page, 'utf8');
    for (const match of html.matchAll(ATTRIBUTE)) {
      const href = decodeEntities(match[1] ?? '');
      if (href === '' || /^[a-z][a-z0-9+.-]*:/i.test(href)) continue; // external, data:, mailto:
      links++;
      const [path = '', fragment] = href.split('#', 2);
      const target = path === '' ? page : resolve(dirname(page), decodeURIComponent(path));
      const where = relative(siteDir, page);
      if (!target.startsWith(siteDir)) broken.push({ page: where, href, reason: 'leaves the site' });
      else if (!existsSync(target)) broken.push({ page: where, href, reason: 'no such file' });
      else if (fragment && target.endsWith('.html') && !idsOf(target).has(decodeURIComponent(fragment))) {
        broken.push({ page: where, href, reason: `no element with id "${fragment}"` });
      }
    }
  }
  return { pages: pages.length, links, broken };
}

function decodeEntities(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

/**
 * Serves the site on loopback, as a host would: from file:// Chromium refuses the SVG icon
 * sprite (each file is its own origin), which no published site suffers from.
 */
export async function serveSite(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://site').pathname);
    const file = resolve(siteDir, `.${path.endsWith('/') ? `${path}index.html` : path}`);
    if (!file.startsWith(siteDir) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
    response.end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
