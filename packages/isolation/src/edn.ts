/**
 * A small, iterative reader for the EDN that Jepsen histories use: nil, booleans, numbers,
 * strings, characters, keywords, symbols, vectors, lists, maps, sets, `;` comments, `#_`
 * discards and tagged literals (the tag is dropped). It keeps its own stack, so a hostile
 * nesting depth costs memory, never the call stack.
 */

/** An EDN keyword such as `:ok`. */
export class EdnKeyword {
  constructor(readonly name: string) {}
  toString(): string {
    return `:${this.name}`;
  }
}

/** An EDN map; only keyword, string, number, boolean and nil keys are kept (what histories use). */
export type EdnMap = Map<string, EdnValue>;

/** Any EDN value: vectors and lists are arrays, sets are `Set`s, symbols are their names. */
export type EdnValue = null | boolean | number | string | EdnKeyword | EdnMap | EdnValue[] | Set<EdnValue>;

/** A top-level form and the 1-based line it starts on. */
export interface EdnForm {
  readonly value: EdnValue;
  readonly line: number;
}

/** A syntax fault: the message and the line it is on. */
export interface EdnFault {
  readonly line: number;
  readonly message: string;
}

/** The key under which a map stores `key`, or undefined when the reader does not support that kind of key. */
export function ednKey(key: EdnValue): string | undefined {
  if (key === null) return 'nil';
  if (key instanceof EdnKeyword) return key.toString();
  if (typeof key === 'string') return JSON.stringify(key);
  if (typeof key === 'number' || typeof key === 'boolean') return String(key);
  return undefined;
}

interface Frame {
  readonly close: string;
  readonly kind: 'vector' | 'list' | 'map' | 'set';
  readonly items: EdnValue[];
  readonly line: number;
}

const DELIMITERS = '()[]{}";,';
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', b: '\b', f: '\f', '/': '/' };
const NAMED_CHARACTERS: Readonly<Record<string, string>> = { newline: '\n', space: ' ', tab: '\t', return: '\r' };

function isSpace(ch: string): boolean {
  return ch === ' ' || ch === ',' || ch === '\n' || ch === '\t' || ch === '\r' || ch === '\f';
}

/** Reads every top-level form of `text`; returns a fault instead of throwing. */
export function readEdnForms(text: string): { forms: EdnForm[] } | { fault: EdnFault } {
  const forms: EdnForm[] = [];
  const stack: Frame[] = [];
  // Pending `#_` discards and tags, per nesting level: a count of values still to drop.
  const discards: number[] = [0];
  let pos = 0;
  let line = 1;
  let formLine = 1;
  const fault = (message: string, at = line) => ({ fault: { line: at, message } });

  const emit = (value: EdnValue): EdnFault | undefined => {
    const level = stack.length;
    if (discards[level]! > 0) {
      discards[level]!--;
      return undefined;
    }
    if (level === 0) forms.push({ value, line: formLine });
    else stack[level - 1]!.items.push(value);
    return undefined;
  };

  while (true) {
    while (pos < text.length) {
      const ch = text[pos]!;
      if (ch === '\n') {
        line++;
        pos++;
      } else if (isSpace(ch)) pos++;
      else if (ch === ';') {
        while (pos < text.length && text[pos] !== '\n') pos++;
      } else break;
    }
    if (pos >= text.length) break;
    if (stack.length === 0) formLine = line;
    const ch = text[pos]!;
    if (ch === '[' || ch === '(' || ch === '{') {
      pos++;
      stack.push({ close: ch === '[' ? ']' : ch === '(' ? ')' : '}', kind: ch === '[' ? 'vector' : ch === '(' ? 'list' : 'map', items: [], line });
      discards.push(0);
      continue;
    }
    if (ch === ']' || ch === ')' || ch === '}') {
      const frame = stack.pop();
      if (frame === undefined || frame.close !== ch) return fault(`unexpected '${ch}'`);
      if (discards.pop()! > 0) return fault(`'#_' with nothing to discard before '${ch}'`);
      pos++;
      let value: EdnValue;
      if (frame.kind === 'map') {
        if (frame.items.length % 2 !== 0) return fault('map literal with an odd number of forms', frame.line);
        const map: EdnMap = new Map();
        for (let i = 0; i < frame.items.length; i += 2) {
          const key = ednKey(frame.items[i]!);
          if (key === undefined) return fault('map keys must be keywords, strings, numbers, booleans or nil', frame.line);
          map.set(key, frame.items[i + 1]!);
        }
        value = map;
      } else if (frame.kind === 'set') value = new Set(frame.items);
      else value = frame.items;
      emit(value);
      continue;
    }
    if (ch === '"') {
      const start = line;
      pos++;
      let out = '';
      for (;;) {
        if (pos >= text.length) return fault('unterminated string', start);
        const c = text[pos]!;
        if (c === '"') {
          pos++;
          break;
        }
        if (c === '\\') {
          const e = text[pos + 1];
          if (e === 'u') {
            const hex = text.slice(pos + 2, pos + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) return fault('bad \\u escape');
            out += String.fromCharCode(Number.parseInt(hex, 16));
            pos += 6;
            continue;
          }
          const mapped = e === undefined ? undefined : ESCAPES[e];
          if (mapped === undefined) return fault(`bad escape '\\${e ?? ''}'`);
          out += mapped;
          pos += 2;
          continue;
        }
        if (c === '\n') line++;
        out += c;
        pos++;
      }
      emit(out);
      continue;
    }
    if (ch === '#') {
      const after = text[pos + 1];
      if (after === '{') {
        pos += 2;
        stack.push({ close: '}', kind: 'set', items: [], line });
        discards.push(0);
        continue;
      }
      if (after === '_') {
        pos += 2;
        discards[stack.length]!++;
        continue;
      }
      // A tagged literal: skip the tag; the next value stands for it.
      pos++;
      while (pos < text.length && !isSpace(text[pos]!) && !DELIMITERS.includes(text[pos]!)) pos++;
      continue;
    }
    let end = pos + 1;
    while (end < text.length && !isSpace(text[end]!) && !DELIMITERS.includes(text[end]!)) end++;
    const token = text.slice(pos, end);
    pos = end;
    if (token.startsWith('\\')) {
      const name = token.slice(1);
      if (name.length === 0) return fault('empty character literal');
      emit(NAMED_CHARACTERS[name] ?? name);
      continue;
    }
    const atom = readAtom(token);
    if (atom === undefined) return fault(`cannot read '${token.length > 40 ? `${token.slice(0, 40)}…` : token}'`);
    emit(atom.value);
  }
  if (stack.length > 0) {
    const open = stack[stack.length - 1]!;
    return fault(`unclosed collection (expected '${open.close}')`, open.line);
  }
  if (discards[0]! > 0) return fault("'#_' with nothing to discard at the end of the input");
  return { forms };
}

function readAtom(token: string): { value: EdnValue } | undefined {
  if (token === 'nil') return { value: null };
  if (token === 'true') return { value: true };
  if (token === 'false') return { value: false };
  if (token.startsWith(':')) return token.length > 1 ? { value: new EdnKeyword(token.slice(1)) } : undefined;
  if (/^[+-]?\d/.test(token)) {
    const digits = token.replace(/[NM]$/, '');
    const value = Number(digits);
    // Integers past 2^53 would collide as numbers; their text keeps them distinct.
    if (/^[+-]?\d+$/.test(digits) && !Number.isSafeInteger(value)) return { value: digits };
    if (!Number.isFinite(value)) {
      const ratio = /^([+-]?\d+)\/(\d+)$/.exec(digits);
      if (ratio !== null) return { value: Number(ratio[1]) / Number(ratio[2]) };
      return undefined;
    }
    return { value };
  }
  // A symbol: its name.
  return { value: token };
}
