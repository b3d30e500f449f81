/**
 * A small reader for the subset of EDN that Jepsen histories use: nil, booleans, integers and
 * floats, strings, characters, keywords, symbols, vectors, lists, maps and sets, `;` comments,
 * `#_` discards and tagged literals (the tag is dropped, the value kept).
 */

import { LatticeError, type LatticeErrorOptions } from '@lattice/core';

/** An EDN keyword such as `:ok`. */
export class EdnKeyword {
  constructor(readonly name: string) {}
  toString(): string {
    return `:${this.name}`;
  }
}

/** An EDN symbol such as `foo`. */
export class EdnSymbol {
  constructor(readonly name: string) {}
  toString(): string {
    return this.name;
  }
}

/** An EDN map, keyed by the canonical text of each key (`:process`, `"key"`, `12`). */
export class EdnMap {
  readonly entries = new Map<string, EdnValue>();
  get(key: string): EdnValue | undefined {
    return this.entries.get(key);
  }
  has(key: string): boolean {
    return this.entries.has(key);
  }
}

/** Any EDN value. Vectors and lists are arrays; sets are `Set`s. */
export type EdnValue = null | boolean | number | bigint | string | EdnKeyword | EdnSymbol | EdnMap | EdnValue[] | Set<EdnValue>;

/** A top-level form and the 1-based line it starts on. */
export interface EdnForm {
  value: EdnValue;
  line: number;
}

/** Thrown (internally, then wrapped in a `MalformedHistoryError`) on malformed EDN; carries the line. */
export class EdnSyntaxError extends LatticeError {
  static readonly code = 'ERR_EDN_SYNTAX';
  override readonly name = 'EdnSyntaxError';
  /** 1-based line of the malformed form. */
  readonly line: number;
  constructor(line: number, message: string, options?: LatticeErrorOptions) {
    super(EdnSyntaxError.code, message, options);
    this.line = line;
  }
}

/** Canonical text of an EDN value, used as map key. */
export function ednText(value: EdnValue): string {
  if (value === null) return 'nil';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}N`;
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `[${value.map(ednText).join(' ')}]`;
  if (value instanceof Set) return `#{${[...value].map(ednText).join(' ')}}`;
  if (value instanceof EdnMap) return `{${[...value.entries].map(([k, v]) => `${k} ${ednText(v)}`).join(', ')}}`;
  return value.toString();
}

const DELIMITERS = new Set(['(', ')', '[', ']', '{', '}', '"', ';']);
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', b: '\b', f: '\f', '/': '/' };

function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === ',' || ch === '\n' || ch === '\t' || ch === '\r' || ch === '\f';
}

/**
 * Deepest nesting of collections, discards and tags the reader accepts. Jepsen histories nest a
 * few levels; the limit keeps a hostile or corrupt file from exhausting the call stack (which
 * happens near 3,000 levels) and turns it into a syntax error instead.
 */
export const MAX_EDN_DEPTH = 1000;

class Reader {
  pos = 0;
  line = 1;
  private depth = 0;
  constructor(readonly text: string) {}

  skipSpace(): void {
    const text = this.text;
    while (this.pos < text.length) {
      const ch = text[this.pos]!;
      if (ch === '\n') {
        this.line++;
        this.pos++;
      } else if (isWhitespace(ch)) this.pos++;
      else if (ch === ';') {
        while (this.pos < text.length && text[this.pos] !== '\n') this.pos++;
      } else break;
    }
  }

  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length;
  }

  read(): EdnValue {
    // No try/finally: after a throw the reader is abandoned, so the count need not unwind.
    if (++this.depth > MAX_EDN_DEPTH) throw new EdnSyntaxError(this.line, `nesting deeper than ${MAX_EDN_DEPTH} levels`);
    const value = this.readValue();
    this.depth--;
    return value;
  }

  private readValue(): EdnValue {
    this.skipSpace();
    const text = this.text;
    if (this.pos >= text.length) throw new EdnSyntaxError(this.line, 'unexpected end of input');
    const ch = text[this.pos]!;
    switch (ch) {
      case '[':
        this.pos++;
        return this.readSeq(']');
      case '(':
        this.pos++;
        return this.readSeq(')');
      case '{': {
        this.pos++;
        const items = this.readSeq('}');
        if (items.length % 2 !== 0) throw new EdnSyntaxError(this.line, 'map literal with an odd number of forms');
        const map = new EdnMap();
        for (let i = 0; i < items.length; i += 2) map.entries.set(ednText(items[i]!), items[i + 1]!);
        return map;
      }
      case '"':
        return this.readString();
      case '#': {
        const after = text[this.pos + 1];
        if (after === '{') {
          this.pos += 2;
          return new Set(this.readSeq('}'));
        }
        if (after === '_') {
          this.pos += 2;
          this.read();
          return this.read();
        }
        // A tagged literal: drop the tag, keep the value.
        this.pos++;
        this.readToken();
        return this.read();
      }
      case '\\': {
        this.pos++;
        const token = this.readToken();
        const named: Record<string, string> = { newline: '\n', space: ' ', tab: '\t', return: '\r' };
        if (token.length === 0) throw new EdnSyntaxError(this.line, 'empty character literal');
        return named[token] ?? token;
      }
      case ')':
      case ']':
      case '}':
        throw new EdnSyntaxError(this.line, `unexpected '${ch}'`);
    }
    return this.readAtom(this.readToken());
  }

  readSeq(close: string): EdnValue[] {
    const items: EdnValue[] = [];
    const startLine = this.line;
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.text.length) throw new EdnSyntaxError(startLine, `unclosed collection (expected '${close}')`);
      if (this.text[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(this.read());
    }
  }

  readString(): string {
    const text = this.text;
    const startLine = this.line;
    this.pos++;
    let out = '';
    for (;;) {
      // Copy the run up to the next quote or backslash in one slice.
      const quote = text.indexOf('"', this.pos);
      if (quote < 0) throw new EdnSyntaxError(startLine, 'unterminated string');
      // Only look for a backslash before that quote (searching further is quadratic).
      let run = text.slice(this.pos, quote);
      const slash = run.indexOf('\\');
      const stop = slash >= 0 ? this.pos + slash : quote;
      if (slash >= 0) run = run.slice(0, slash);
      for (let nl = run.indexOf('\n'); nl >= 0; nl = run.indexOf('\n', nl + 1)) this.line++;
      out += run;
      this.pos = stop + 1;
      if (stop === quote) return out;
      const esc = text[this.pos++];
      if (esc === 'u') {
        const hex = text.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new EdnSyntaxError(this.line, `bad unicode escape \\u${hex}`);
        out += String.fromCharCode(Number.parseInt(hex, 16));
        this.pos += 4;
      } else if (esc !== undefined && ESCAPES[esc] !== undefined) out += ESCAPES[esc];
      else throw new EdnSyntaxError(this.line, `bad escape \\${esc ?? ''}`);
    }
  }

  readToken(): string {
    const text = this.text;
    const start = this.pos;
    while (this.pos < text.length) {
      const ch = text[this.pos]!;
      if (isWhitespace(ch) || DELIMITERS.has(ch)) break;
      this.pos++;
    }
    return text.slice(start, this.pos);
  }

  readAtom(token: string): EdnValue {
    if (token === '') throw new EdnSyntaxError(this.line, `unexpected '${this.text[this.pos]}'`);
    if (token === 'nil') return null;
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (token[0] === ':') {
      if (token.length === 1) throw new EdnSyntaxError(this.line, "empty keyword ':'");
      return new EdnKeyword(token.slice(1));
    }
    if (/^[+-]?\d+N?$/.test(token)) {
      const digits = token.endsWith('N') ? token.slice(0, -1) : token;
      const n = Number(digits);
      return Number.isSafeInteger(n) ? n : BigInt(digits);
    }
    if (/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?M?$/.test(token)) {
      const n = Number(token.endsWith('M') ? token.slice(0, -1) : token);
      // EDN writes infinities as ##Inf; a literal beyond the double range is corrupt, not infinite.
      if (!Number.isFinite(n)) throw new EdnSyntaxError(this.line, `number out of range '${token}'`);
      return n;
    }
    if (/^[+-]?\d/.test(token)) throw new EdnSyntaxError(this.line, `malformed number '${token}'`);
    return new EdnSymbol(token);
  }
}

/** Reads every top-level form of `text`. Throws {@link EdnSyntaxError} on malformed input. */
export function readEdnForms(text: string): EdnForm[] {
  const reader = new Reader(text);
  const forms: EdnForm[] = [];
  while (!reader.atEnd()) {
    const line = reader.line;
    forms.push({ value: reader.read(), line });
  }
  return forms;
}

/** Reads exactly one EDN value from `text`. */
export function readEdn(text: string): EdnValue {
  const forms = readEdnForms(text);
  if (forms.length !== 1) throw new EdnSyntaxError(forms[1]?.line ?? 1, `expected one form, found ${forms.length}`);
  return forms[0]!.value;
}

/**
 * Reads a history: either a sequence of top-level forms (one map a line, as Jepsen's
 * `history.edn`), or one vector or list that holds them. Each element keeps its own line.
 */
export function readEdnElements(text: string): EdnForm[] {
  const reader = new Reader(text);
  reader.skipSpace();
  const open = text[reader.pos];
  if (open !== '[' && open !== '(') return readEdnForms(text);
  const close = open === '[' ? ']' : ')';
  const startLine = reader.line;
  reader.pos++;
  const forms: EdnForm[] = [];
  for (;;) {
    reader.skipSpace();
    if (reader.pos >= text.length) throw new EdnSyntaxError(startLine, `unclosed collection (expected '${close}')`);
    if (text[reader.pos] === close) {
      reader.pos++;
      break;
    }
    const line = reader.line;
    forms.push({ value: reader.read(), line });
  }
  if (!reader.atEnd()) throw new EdnSyntaxError(reader.line, 'unexpected form after the history');
  return forms;
}
