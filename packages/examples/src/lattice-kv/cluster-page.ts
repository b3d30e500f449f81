/**
 * The cluster page: every node serves it on loopback with plain `node:http`. `/` is a static
 * page that polls `/cluster.json`; the serving node answers that by asking every node (itself
 * included) for `/status.json`, so a node that does not answer within a few hundred ms is
 * shown as down — what the page shows is what this node can see.
 */
import { readFileSync } from 'node:fs';
import { get, type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { KvNodeStatus } from './node-status.js';

/** One node as `/cluster.json` reports it. */
export type ClusterPageNode = { readonly id: string; readonly address: string; readonly up: true; readonly status: KvNodeStatus } | { readonly id: string; readonly address: string; readonly up: false; readonly error: string };

/** The body of `/cluster.json`. */
export interface ClusterPageState {
  /** The node that served the page. */
  readonly servedBy: string;
  readonly nodes: readonly ClusterPageNode[];
}

/** Options of {@link startClusterPage}. */
export interface ClusterPageOptions {
  readonly id: string;
  /** This node's status. */
  readonly status: () => KvNodeStatus;
  /** The page address (`host:port`) of every node, this one included. */
  readonly peers: Readonly<Record<string, string>>;
  readonly port: number;
  readonly host?: string;
  /** How long a peer's `/status.json` may take before it counts as down. Default 400 ms. */
  readonly peerTimeoutMs?: number;
}

const pageHtml = (): string => readFileSync(new URL('./cluster-page.html', import.meta.url), 'utf8');

/** Starts the page's HTTP server; resolves once it listens. */
export function startClusterPage(options: ClusterPageOptions): Promise<Server> {
  const html = pageHtml();
  const timeoutMs = options.peerTimeoutMs ?? 400;
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET') return send(response, 405, 'text/plain', 'GET only\n');
    if (path === '/' || path === '/index.html') return send(response, 200, 'text/html; charset=utf-8', html);
    if (path === '/status.json') return send(response, 200, 'application/json', JSON.stringify(options.status()));
    if (path === '/cluster.json') {
      clusterState(options, timeoutMs).then(
        (state) => send(response, 200, 'application/json', JSON.stringify(state)),
        (error: unknown) => send(response, 500, 'text/plain', `${String(error)}\n`),
      );
      return;
    }
    send(response, 404, 'text/plain', 'not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function send(response: ServerResponse, code: number, type: string, body: string): void {
  response.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
  response.end(body);
}

async function clusterState(options: ClusterPageOptions, timeoutMs: number): Promise<ClusterPageState> {
  const nodes = await Promise.all(
    Object.entries(options.peers).map(async ([id, address]): Promise<ClusterPageNode> => {
      if (id === options.id) return { id, address, up: true, status: options.status() };
      try {
        return { id, address, up: true, status: JSON.parse(await fetchText(`http://${address}/status.json`, timeoutMs)) as KvNodeStatus };
      } catch (error) {
        return { id, address, up: false, error: error instanceof Error ? error.message : String(error) };
      }
    }),
  );
  return { servedBy: options.id, nodes };
}

function fetchText(url: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = get(url, { timeout: timeoutMs }, (response: IncomingMessage) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${response.statusCode}`))));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', reject);
  });
}
