import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TextDocument, textUpdateFromJSON, textUpdateToJSON } from '@lattice/crdt';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { DocumentLog } from '../src/collab-editor/document-log.js';
import { EditorProtocolError } from '../src/collab-editor/errors.js';
import type { RelayMessage } from '../src/collab-editor/protocol.js';
import { type Relay, startRelay } from '../src/collab-editor/relay.js';

const dirs: string[] = [];
const relays: Relay[] = [];
afterEach(async () => {
  for (const relay of relays.splice(0)) await relay.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lattice-editor-'));
  dirs.push(dir);
  return dir;
}

/** A page without a browser: a WebSocket and a replica, speaking the page's protocol. */
async function page(relay: Relay, agent: string) {
  const doc = new TextDocument({ agent });
  const ws = new WebSocket(`ws://127.0.0.1:${relay.port}/ws/notes?agent=${agent}`);
  const inbox: RelayMessage[] = [];
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as RelayMessage;
    inbox.push(message);
    if (message.type === 'sync' || message.type === 'update') doc.applyUpdate(textUpdateFromJSON(message.update));
  });
  await once(ws, 'open');
  ws.send(JSON.stringify({ type: 'sync', version: doc.version() }));
  await until(() => inbox.some((m) => m.type === 'sync'));
  return {
    doc,
    inbox,
    ws,
    edit(position: number, text: string) {
      ws.send(JSON.stringify({ type: 'update', update: textUpdateToJSON(doc.insert(position, text)) }));
    },
  };
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('collaborative editor relay', () => {
  it('passes updates between pages and keeps the document across a restart', async () => {
    const dataDir = tempDir();
    const relay = await startRelay({ dataDir });
    const a = await page(relay, 'ann');
    const b = await page(relay, 'ben');
    a.edit(0, 'hello');
    await until(() => b.doc.toString() === 'hello');
    b.edit(5, ' world');
    await until(() => a.doc.toString() === 'hello world');
    await relay.close();

    const again = await startRelay({ dataDir, port: relay.port });
    relays.push(again);
    expect(await again.text('notes')).toBe('hello world');
    const c = await page(again, 'cid');
    expect(c.doc.toString()).toBe('hello world');
  });

  it('refuses garbage with a typed error, changes nothing, and keeps serving the page', async () => {
    const errors: EditorProtocolError[] = [];
    const relay = await startRelay({ dataDir: tempDir(), onError: (error) => errors.push(error) });
    relays.push(relay);
    const a = await page(relay, 'ann');
    a.edit(0, 'safe');
    await until(() => relay.stats().updates === 1);
    const forged = textUpdateToJSON(new TextDocument({ agent: 'x' }).insert(0, 'zz'));
    for (const bad of [
      'not json',
      JSON.stringify({ type: 'launch' }),
      JSON.stringify({ type: 'update', update: { format: 'lattice-text-update', version: 1, inserts: [{ agent: 'x' }], deletes: [] } }),
      JSON.stringify({ type: 'update', update: { ...forged, inserts: [{ ...forged.inserts[0]!, left: ['nobody', 99] }] } }),
      JSON.stringify({ type: 'cursor', anchor: 'here' }),
      JSON.stringify({ type: 'sync', version: 'all' }),
    ]) {
      a.ws.send(bad);
    }
    await until(() => errors.length === 6);
    expect(errors.every((error) => error.code === EditorProtocolError.code)).toBe(true);
    expect(a.inbox.filter((m) => m.type === 'error')).toHaveLength(6);
    expect(await relay.text('notes')).toBe('safe');
    a.edit(4, '!');
    await until(() => relay.stats().updates === 2);
    expect(await relay.text('notes')).toBe('safe!');
  });

  it('compacts the log into a state record and rebuilds from it', async () => {
    const dir = join(tempDir(), 'doc');
    const log = await DocumentLog.open(dir, 10);
    const typist = new TextDocument({ agent: 'ann' });
    for (let i = 0; i < 25; i++) await log.append(typist.insert(typist.length, String(i % 10)));
    expect(log.records).toBeLessThanOrEqual(10);
    await log.close();
    const reopened = await DocumentLog.open(dir, 10);
    expect(reopened.doc.toString()).toBe(typist.toString());
    await reopened.close();
  });
});
