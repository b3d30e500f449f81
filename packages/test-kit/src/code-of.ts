/**
 * Calls `fn` and returns the `code` of the Lattice error it threw; fails (throws) if it
 * returned, or threw something without a string code. The bad-argument tests of every package
 * compare the result with an error class's static `code`.
 */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string') return code;
    throw new Error(`expected a Lattice error, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a throw, got none');
}
