import { isLatticeError } from '@lattice/core';

/** Wrong argument lists an entry point is called with: nothing, holes, the wrong types, too many. */
export const WRONG_ARGUMENTS: readonly (readonly unknown[])[] = [[], [undefined], [null], ['x'], [5], [Number.NaN], [{}], [[]], [{}, {}], ['x', 'y', 'z']];

function isClass(value: unknown): boolean {
  return typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value));
}

/** What a call did: `returned`, the Lattice error's code, or `untyped …` with what else it threw. */
async function outcome(call: () => unknown): Promise<string> {
  try {
    const result = call();
    if (result instanceof Promise) await result;
    return 'returned';
  } catch (error) {
    if (isLatticeError(error)) return error.code;
    return `untyped ${(error as Error | undefined)?.name}: ${(error as Error | undefined)?.message}`;
  }
}

/**
 * Calls every exported function (and constructs every exported class) of `api`, error classes
 * aside, with each of `WRONG_ARGUMENTS`, as a JavaScript caller or generated data could, and
 * lists each call that threw something other than a Lattice error (a `TypeError` from inside,
 * say): an empty list is the goal. Only for entries whose exports have no side effects when
 * called (nothing that opens files or sockets).
 */
export async function untypedThrows(api: Readonly<Record<string, unknown>>): Promise<{ readonly called: number; readonly untyped: readonly string[] }> {
  const entries = Object.entries(api).filter(([name, value]) => typeof value === 'function' && !name.endsWith('Error'));
  const untyped: string[] = [];
  for (const [name, fn] of entries) {
    for (const args of WRONG_ARGUMENTS) {
      // biome-ignore lint/suspicious/noExplicitAny: the point is to pass what the types forbid
      const loose = fn as any;
      const result = await outcome(() => (isClass(fn) ? new loose(...args) : loose(...args)));
      if (result.startsWith('untyped')) untyped.push(`${name}(${args.map((a) => JSON.stringify(a) ?? String(a)).join(', ')}): ${result}`);
    }
  }
  return { called: entries.length, untyped };
}
