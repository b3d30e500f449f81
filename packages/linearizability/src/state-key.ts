/**
 * Canonical text of a state, used as the default state hash: equal (structurally) values get
 * equal keys, and values of different shapes or types get different ones. Supports
 * primitives, arrays, plain objects (key order does not matter), `Map` and `Set` (entry order
 * does not matter).
 */
export function canonicalKey(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'undefined';
    case 'symbol':
      return `symbol:${String(value.description)}`;
    case 'function':
      return `function:${value.name}`;
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalKey).join(',')}]`;
  if (value instanceof Map) {
    const entries = [...value].map(([k, v]) => `${canonicalKey(k)}=>${canonicalKey(v)}`).sort();
    return `Map{${entries.join(',')}}`;
  }
  if (value instanceof Set) {
    const members = [...value].map(canonicalKey).sort();
    return `Set{${members.join(',')}}`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalKey(record[k])}`).join(',')}}`;
}

/** The default state hash: primitives stand for themselves, other values by their {@link canonicalKey}. */
export function defaultHash(state: unknown): string | number {
  if (typeof state === 'number') return state;
  if (typeof state === 'string') return `s${state}`;
  return canonicalKey(state);
}

/**
 * Structural equality matching {@link canonicalKey}, for values made of primitives, arrays,
 * plain objects, `Map` and `Set`. Any other object (a class instance may hold state the key
 * cannot see) is equal only to itself.
 */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (!isPlain(a, 0, true) || !isPlain(b, 0, true)) return false;
  return canonicalKey(a) === canonicalKey(b);
}

/**
 * {@link canonicalKey} for values made only of primitives, arrays and plain objects; undefined
 * for anything else (class instances may hold state the key cannot see, so two of them are
 * never assumed equal).
 */
export function plainKey(value: unknown): string | undefined {
  return isPlain(value, 0, false) ? canonicalKey(value) : undefined;
}

/** Made only of primitives, arrays and plain objects (and, with `collections`, Map and Set)? */
function isPlain(value: unknown, depth: number, collections: boolean): boolean {
  if (depth > 64) return false;
  if (value === null) return true;
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean' || type === 'bigint' || type === 'undefined') return true;
  if (type !== 'object') return false;
  if (Array.isArray(value)) return value.every((item) => isPlain(item, depth + 1, collections));
  if (collections && value instanceof Map) {
    for (const [k, v] of value) if (!isPlain(k, depth + 1, true) || !isPlain(v, depth + 1, true)) return false;
    return true;
  }
  if (collections && value instanceof Set) {
    for (const v of value) if (!isPlain(v, depth + 1, true)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(value as Record<string, unknown>).every((item) => isPlain(item, depth + 1, collections));
}
