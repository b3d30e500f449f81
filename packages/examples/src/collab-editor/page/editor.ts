// The editor page: a TextDocument replica in the browser, a textarea, and one WebSocket to the
// relay. Runs in the browser (bundled by the relay with esbuild).
import { type TextAnchor, TextDocument, type TextUpdate, textUpdateFromJSON, textUpdateToJSON, type TextVersion } from '@lattice/crdt';
import { systemTimers } from '@lattice/core';
import type { PageMessage, Participant, RelayMessage } from '../protocol.js';

const params = new URLSearchParams(location.search);
const documentName = location.pathname.startsWith('/d/') ? location.pathname.slice(3) : 'welcome';
const agent = `p-${Math.random().toString(36).slice(2, 12)}`;
const displayName = (params.get('name') ?? '').replace(/[^A-Za-z0-9_-]/g, '').slice(0, 40) || agent;

const doc = new TextDocument({ agent });
const textarea = document.querySelector<HTMLTextAreaElement>('#text')!;
const view = document.querySelector<HTMLPreElement>('#view')!;
const status = document.querySelector<HTMLSpanElement>('#status')!;
const offlineBox = document.querySelector<HTMLInputElement>('#offline')!;
const participantsLine = document.querySelector<HTMLParagraphElement>('#participants')!;
document.querySelector('#doc')!.textContent = documentName;
document.querySelector('#me')!.textContent = displayName;

let socket: WebSocket | undefined;
let synced = false;
let offline = false;
let reconnectDelay = 250;
const participants = new Map<string, Participant>();
const errors: string[] = [];

function setStatus(state: 'online' | 'offline' | 'connecting'): void {
  status.textContent = state;
  status.className = state;
}

function send(message: PageMessage): void {
  if (synced && socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function connect(): void {
  if (offline) return;
  setStatus('connecting');
  const ws = new WebSocket(`ws://${location.host}/ws/${documentName}?agent=${agent}&name=${displayName}`);
  socket = ws;
  ws.onopen = () => {
    reconnectDelay = 250;
    ws.send(JSON.stringify({ type: 'sync', version: doc.version() } satisfies PageMessage));
  };
  ws.onmessage = (event) => receive(JSON.parse(String(event.data)) as RelayMessage);
  ws.onclose = () => {
    if (socket !== ws) return;
    synced = false;
    socket = undefined;
    participants.clear();
    render();
    if (offline) return;
    setStatus('connecting');
    systemTimers.setTimeout(connect, reconnectDelay);
    reconnectDelay = Math.min(reconnectDelay * 2, 4000);
  };
}

function receive(message: RelayMessage): void {
  switch (message.type) {
    case 'sync': {
      applyRemote(textUpdateFromJSON(message.update));
      for (const p of message.participants) participants.set(p.agent, p);
      synced = true;
      setStatus('online');
      lastCursor = ''; // the relay forgot our cursor with the old connection
      // What the relay lacks: the edits made while offline (or lost with a relay crash).
      const missing = doc.updateSince(message.version as TextVersion);
      if (missing.inserts.length > 0 || missing.deletes.length > 0) send({ type: 'update', update: textUpdateToJSON(missing) });
      sendCursor();
      break;
    }
    case 'update':
      applyRemote(textUpdateFromJSON(message.update));
      break;
    case 'cursor':
      participants.set(message.participant.agent, message.participant);
      break;
    case 'leave':
      participants.delete(message.agent);
      break;
    case 'error':
      errors.push(message.message);
      break;
  }
  render();
}

/** Applies a remote update, keeping the local selection on the same characters. */
function applyRemote(update: TextUpdate): void {
  const [start, end] = selectionAnchors();
  doc.applyUpdate(update);
  const text = doc.toString();
  if (textarea.value !== text) {
    textarea.value = text;
    textarea.setSelectionRange(toUnits(text, doc.positionOf(start) ?? 0), toUnits(text, doc.positionOf(end) ?? 0));
  }
}

/** The local edit: the textarea's new value against the document, as one delete and one insert. */
function onInput(): void {
  const before = Array.from(doc.toString());
  const after = Array.from(textarea.value);
  let prefix = 0;
  while (prefix < before.length && prefix < after.length && before[prefix] === after[prefix]) prefix++;
  let suffix = 0;
  while (suffix < before.length - prefix && suffix < after.length - prefix && before[before.length - 1 - suffix] === after[after.length - 1 - suffix]) suffix++;
  const removed = before.length - prefix - suffix;
  const inserted = after.slice(prefix, after.length - suffix).join('');
  if (removed > 0) send({ type: 'update', update: textUpdateToJSON(doc.delete(prefix, removed)) });
  if (inserted !== '') send({ type: 'update', update: textUpdateToJSON(doc.insert(prefix, inserted)) });
  sendCursor();
  render();
}

/** Code points before a UTF-16 offset, and back: the CRDT counts code points, the DOM units. */
function toPoints(text: string, units: number): number {
  return Array.from(text.slice(0, units)).length;
}
function toUnits(text: string, points: number): number {
  return Array.from(text).slice(0, points).join('').length;
}

function selectionAnchors(): [TextAnchor, TextAnchor] {
  const text = doc.toString();
  const clamp = (units: number) => Math.min(toPoints(text, units), doc.length);
  return [doc.anchorAt(clamp(textarea.selectionStart)), doc.anchorAt(clamp(textarea.selectionEnd))];
}

let lastCursor = '';
function sendCursor(): void {
  const anchor = doc.anchorAt(Math.min(toPoints(textarea.value, textarea.selectionEnd), doc.length));
  const key = JSON.stringify(anchor);
  if (key === lastCursor && synced) return;
  lastCursor = key;
  send({ type: 'cursor', anchor });
}

function colour(id: string): string {
  let hash = 0;
  for (const ch of id) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${hash % 360} 65% 42%)`;
}

/** The read-only view: the text with a labelled caret where each other participant's cursor is. */
function render(): void {
  const text = Array.from(doc.toString());
  const at = new Map<number, Participant[]>();
  for (const p of participants.values()) {
    const position = doc.positionOf(p.anchor);
    if (position === undefined) continue;
    at.set(position, [...(at.get(position) ?? []), p]);
  }
  view.replaceChildren();
  let run = '';
  for (let i = 0; i <= text.length; i++) {
    const here = at.get(i);
    if (here !== undefined) {
      view.append(run);
      run = '';
      for (const p of here) {
        const caret = document.createElement('span');
        caret.className = 'caret';
        caret.dataset['name'] = p.name;
        caret.style.setProperty('--c', colour(p.agent));
        view.append(caret);
      }
    }
    if (i < text.length) run += text[i];
  }
  view.append(run);
  participantsLine.replaceChildren(
    ...[...participants.values()].map((p) => {
      const tag = document.createElement('span');
      tag.textContent = p.name;
      tag.style.setProperty('--c', colour(p.agent));
      return tag;
    }),
  );
}

textarea.addEventListener('input', onInput);
for (const event of ['keyup', 'mouseup', 'select', 'focus'] as const) textarea.addEventListener(event, sendCursor);
offlineBox.addEventListener('change', () => {
  offline = offlineBox.checked;
  if (offline) {
    const ws = socket;
    socket = undefined;
    synced = false;
    ws?.close();
    participants.clear();
    setStatus('offline');
    render();
  } else connect();
});

// For tests and the curious: the replica's state, from the console or a driver.
Object.assign(window, {
  editor: {
    text: () => doc.toString(),
    online: () => synced,
    participants: () => [...participants.values()].map((p) => ({ name: p.name, position: doc.positionOf(p.anchor) })),
    errors: () => [...errors],
  },
});

connect();
