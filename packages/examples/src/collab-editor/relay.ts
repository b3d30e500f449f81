import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { textUpdateFromJSON, textUpdateToJSON, type TextAnchor, type TextVersion } from '@lattice/crdt';
import { build } from 'esbuild';
import { type WebSocket, WebSocketServer } from 'ws';
import { DocumentLog } from './document-log.js';
import { EditorProtocolError } from './errors.js';
import { AGENT_ID, DOCUMENT_NAME, type PageMessage, type Participant, type RelayMessage } from './protocol.js';

export interface RelayOptions {
  /** Where each document's write-ahead log lives (a directory per document). */
  readonly dataDir: string;
  /** Default 0: any free port; always on 127.0.0.1. */
  readonly port?: number;
  /** Updates between compactions of a document's log (default 500). */
  readonly compactEvery?: number;
  /** Every message a page sent that the relay refused (it changed nothing). */
  readonly onError?: (error: EditorProtocolError) => void;
}

export interface RelayStats {
  readonly pages: number;
  readonly updates: number;
  readonly refused: number;
}

export interface Relay {
  readonly url: string;
  readonly port: number;
  /** The relay's copy of a document (empty if no page has opened it). */
  text(name: string): Promise<string>;
  stats(): RelayStats;
  close(): Promise<void>;
}

interface Room {
  readonly log: DocumentLog;
  readonly pages: Map<WebSocket, Participant>;
  /** Messages of a room are handled one at a time, in arrival order. */
  queue: Promise<void>;
}

const here = import.meta.dirname;

/**
 * The relay: serves the editor page, and for each document one room of WebSockets. An update is
 * applied to the relay's replica and fsync'd to the document's log before it is passed to the
 * other pages, so whatever a page has seen from the relay survives a relay crash.
 */
export async function startRelay(options: RelayOptions): Promise<Relay> {
  const script = await bundlePage();
  const html = readFileSync(join(here, 'page', 'index.html'), 'utf8');
  const rooms = new Map<string, Promise<Room>>();
  let updates = 0;
  let refused = 0;

  const room = (name: string): Promise<Room> => {
    let found = rooms.get(name);
    if (found === undefined) {
      found = DocumentLog.open(join(options.dataDir, name), options.compactEvery).then((log) => ({ log, pages: new Map(), queue: Promise.resolve() }));
      rooms.set(name, found);
      found.catch(() => rooms.delete(name));
    }
    return found;
  };

  const send = (socket: WebSocket, message: RelayMessage): void => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
  };
  const refuse = (socket: WebSocket, why: string, cause?: unknown): void => {
    refused++;
    const error = new EditorProtocolError(why, cause === undefined ? undefined : { cause });
    options.onError?.(error);
    send(socket, { type: 'error', message: error.message });
  };

  const handle = async (target: Room, socket: WebSocket, raw: string): Promise<void> => {
    let message: PageMessage;
    try {
      message = JSON.parse(raw) as PageMessage;
    } catch (error) {
      return refuse(socket, 'a message must be JSON', error);
    }
    const others = () => [...target.pages.keys()].filter((page) => page !== socket);
    switch (message?.type) {
      case 'sync': {
        let update: ReturnType<typeof textUpdateToJSON>;
        try {
          update = textUpdateToJSON(target.log.doc.updateSince(message.version as TextVersion));
        } catch (error) {
          return refuse(socket, 'sync needs a version: { agent: count, … }', error);
        }
        const participants = [...target.pages].filter(([page]) => page !== socket).map(([, participant]) => participant);
        return send(socket, { type: 'sync', update, version: target.log.doc.version(), participants });
      }
      case 'update': {
        let update: ReturnType<typeof textUpdateFromJSON>;
        try {
          update = textUpdateFromJSON(message.update);
        } catch (error) {
          return refuse(socket, 'not a text update', error);
        }
        try {
          await target.log.append(update);
        } catch (error) {
          if (error instanceof EditorProtocolError) return refuse(socket, error.message, error.cause);
          throw error;
        }
        updates++;
        for (const page of others()) send(page, { type: 'update', update: message.update });
        return;
      }
      case 'cursor': {
        const anchor = message.anchor;
        if (!(anchor === null || (Array.isArray(anchor) && anchor.length === 2 && typeof anchor[0] === 'string' && Number.isInteger(anchor[1])))) {
          return refuse(socket, 'a cursor is null or [agent, seq]');
        }
        const moved: Participant = { ...target.pages.get(socket)!, anchor: anchor as TextAnchor };
        target.pages.set(socket, moved);
        for (const page of others()) send(page, { type: 'cursor', participant: moved });
        return;
      }
      default:
        return refuse(socket, `unknown message type ${JSON.stringify((message as { type?: unknown })?.type)}`);
    }
  };

  const sockets = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://relay').pathname;
    if (path === '/editor.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    if (path === '/' || (path.startsWith('/d/') && DOCUMENT_NAME.test(path.slice(3)))) {
      return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://relay');
    const name = url.pathname.startsWith('/ws/') ? url.pathname.slice(4) : '';
    const agent = url.searchParams.get('agent') ?? '';
    const display = url.searchParams.get('name') ?? agent;
    if (!DOCUMENT_NAME.test(name) || !AGENT_ID.test(agent) || !AGENT_ID.test(display)) {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(req, socket, head, (ws) => {
      // Listen at once: a page sends `sync` as soon as it is connected, maybe before the
      // document is loaded; `.then` callbacks on one promise run in the order they were added.
      const joined = room(name).then((target) => {
        target.pages.set(ws, { agent, name: display, anchor: null });
        return target;
      });
      joined.catch(() => ws.close(1011, 'document unavailable'));
      ws.on('message', (data, isBinary) => {
        const raw = isBinary ? '' : data.toString();
        joined.then((target) => {
          target.queue = target.queue.then(() => handle(target, ws, raw)).catch((error: unknown) => refuse(ws, 'the relay could not store the update', error));
        }, () => undefined);
      });
      ws.on('close', () => {
        joined.then((target) => {
          target.pages.delete(ws);
          for (const page of target.pages.keys()) send(page, { type: 'leave', agent });
        }, () => undefined);
      });
    });
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    text: async (name) => (await room(name)).log.doc.toString(),
    stats: () => ({ pages: sockets.clients.size, updates, refused }),
    close: async () => {
      for (const ws of sockets.clients) ws.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const pending of rooms.values()) {
        const target = await pending.catch(() => undefined);
        if (target === undefined) continue;
        await target.queue;
        await target.log.close();
      }
    },
  };
}

/** The page's script and `@lattice/crdt`, bundled for the browser once per relay start. */
async function bundlePage(): Promise<string> {
  const result = await build({
    entryPoints: [join(here, 'page', 'editor.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    // From a clone, the workspace packages resolve to their TypeScript sources.
    conditions: ['@lattice/source'],
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}
