/** Number of Unicode code points in `s` (a lone surrogate counts as one). */
export function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** UTF-16 offset `cp` code points after unit offset `from` in `s` (internal, for astral text). */
export function unitOffset(s: string, cp: number, from = 0): number {
  let unit = from;
  for (let i = 0; i < cp && unit < s.length; i++) {
    const c = s.charCodeAt(unit);
    unit += c >= 0xd800 && c <= 0xdbff && unit + 1 < s.length && (s.charCodeAt(unit + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
  }
  return unit;
}

/** Any UTF-16 surrogate: text without one has as many code points as units. */
const SURROGATE = /[\ud800-\udfff]/;

/** True when `s` holds a surrogate (so code points and UTF-16 units may differ). */
export function hasSurrogate(s: string): boolean {
  return SURROGATE.test(s);
}
