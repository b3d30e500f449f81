/**
 * The house rule for error classes, checked by every package's `test/error-classes.test.ts`:
 * each class has a literal `name` equal to its class name (minifiers rename classes, so
 * `new.target.name` would print `j: ...`) and a static `code` equal to its instances' `code`.
 *
 * Two checks, because each misses something the other sees: the exported classes are
 * constructed (so a static `code` that differs from the code passed to `super` is caught), and
 * every source file is read (so a class that is not exported, or extends `Error` directly, is
 * caught too).
 *
 * Both also hold the name to the code: `FooBarError` has the code `ERR_FOO_BAR`, so a reader who
 * sees one can write the other. {@link CODE_EXCEPTIONS} lists the deliberate departures.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const LATTICE_ERROR = Symbol.for('@lattice/error');
const CODE_FORM = /^ERR_[A-Z0-9_]+$/;

/**
 * Classes whose code is not derived from the name, each for a reason worth the exception.
 * Empty today; an entry needs a comment saying why its code is a stable API of its own.
 */
export const CODE_EXCEPTIONS: ReadonlyMap<string, string> = new Map<string, string>([]);

/** The code a class name implies: `WalCorruptionError` → `ERR_WAL_CORRUPTION`, `StorageIoError` → `ERR_STORAGE_IO`. */
export function codeForClassName(className: string): string {
  const stem = className.endsWith('Error') ? className.slice(0, -'Error'.length) : className;
  const words = stem
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toUpperCase();
  return `ERR_${words}`;
}

/** A problem when `code` is not the one `className` implies (and no exception names it); undefined when they agree. */
export function nameCodeProblem(className: string, code: string): string | undefined {
  const expected = CODE_EXCEPTIONS.get(className) ?? codeForClassName(className);
  return code === expected ? undefined : `${className}: code ${code} should be ${expected} (a class FooBarError has the code ERR_FOO_BAR)`;
}

type ErrorClass = (abstract new (...args: never[]) => Error) & { readonly code?: unknown };

function isErrorClass(value: unknown): value is ErrorClass {
  return typeof value === 'function' && value.prototype instanceof Error;
}

/** Builds an instance without knowing the constructor's parameters (they only shape the message). */
function construct(cls: ErrorClass): Error {
  const Ctor = cls as unknown as new (...args: unknown[]) => Error;
  return new Ctor('x', 'x', 'x', 'x', 'x');
}

/** Problems with the error classes exported by `modules` (module namespaces); empty when all is well. */
export function exportedErrorClassProblems(modules: readonly Record<string, unknown>[]): string[] {
  const problems: string[] = [];
  const codes = new Map<string, string>();
  const seen = new Set<unknown>();
  for (const namespace of modules) {
    for (const [exportName, value] of Object.entries(namespace)) {
      if (!isErrorClass(value) || seen.has(value)) continue;
      seen.add(value);
      const className = value.name;
      const instance = construct(value);
      if ((instance as unknown as Record<symbol, unknown>)[LATTICE_ERROR] !== true) {
        problems.push(`${exportName}: does not extend LatticeError`);
        continue;
      }
      if (className === 'LatticeError') continue;
      if (!Object.hasOwn(value, 'code')) problems.push(`${className}: no static code of its own`);
      else if (typeof value.code !== 'string' || !CODE_FORM.test(value.code)) {
        problems.push(`${className}: static code ${String(value.code)} is not ERR_ + SCREAMING_CASE`);
      } else {
        const mismatch = nameCodeProblem(className, value.code);
        if (mismatch !== undefined) problems.push(mismatch);
        const other = codes.get(value.code);
        if (other !== undefined) problems.push(`${className}: code ${value.code} is also the code of ${other}`);
        codes.set(value.code, className);
      }
      const code = (instance as { code?: unknown }).code;
      if (code !== value.code) problems.push(`${className}: instance code ${String(code)} differs from static code ${String(value.code)}`);
      if (instance.name !== className) problems.push(`${className}: instance name is ${JSON.stringify(instance.name)}, not the literal class name`);
    }
  }
  return problems;
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (/\.(c|m)?ts$/.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

/** The text of a class body: from the `{` after the heading to its matching `}` (braces in strings are rare enough here). */
function classBody(text: string, from: number): string {
  let depth = 0;
  for (let i = text.indexOf('{', from); i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(from, i + 1);
  }
  return text.slice(from);
}

/**
 * Problems with every class in `srcDir` whose base class's name ends in `Error`, whether
 * exported or not; empty when all is well.
 */
export function sourceErrorClassProblems(srcDir: string | URL): string[] {
  const root = typeof srcDir === 'string' ? srcDir : fileURLToPath(srcDir);
  const problems: string[] = [];
  const heading = /\bclass\s+(\w+)\s+extends\s+([\w.]*Error)\b/g;
  for (const file of sourceFiles(root)) {
    const text = readFileSync(file, 'utf8');
    const where = relative(root, file);
    for (const match of text.matchAll(heading)) {
      const [, name, base] = match as unknown as [string, string, string];
      if (name === 'LatticeError') continue;
      const body = classBody(text, match.index);
      if (base === 'Error' || base === 'TypeError' || base === 'RangeError') {
        problems.push(`${where}: ${name} extends ${base}, not LatticeError`);
      }
      const code = /\n\s*static readonly code = '(ERR_[A-Z0-9_]+)'( as const)?;/.exec(body)?.[1];
      if (code === undefined) {
        problems.push(`${where}: ${name} has no literal static readonly code = 'ERR_…'`);
      } else {
        const mismatch = nameCodeProblem(name, code);
        if (mismatch !== undefined) problems.push(`${where}: ${mismatch}`);
      }
      if (!new RegExp(`\\n\\s*override readonly name = '${name}';`).test(body)) {
        problems.push(`${where}: ${name} has no override readonly name = '${name}'`);
      }
    }
  }
  return problems;
}

/** Every code a Lattice error class declares (`static readonly code = 'ERR_…'`), across the packages' sources. */
function declaredCodes(): Set<string> {
  const packages = fileURLToPath(new URL('../packages/', import.meta.url));
  const codes = new Set<string>();
  for (const entry of readdirSync(packages, { withFileTypes: true })) {
    const src = join(packages, entry.name, 'src');
    if (!entry.isDirectory() || !existsSync(src)) continue;
    for (const file of sourceFiles(src)) {
      for (const match of readFileSync(file, 'utf8').matchAll(/static\s+readonly\s+code\s*=\s*'(ERR_[A-Z0-9_]+)'/g)) codes.add(match[1]!);
    }
  }
  return codes;
}

/** `text` with its comments blanked out (newlines kept, so line numbers still match). */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g, (comment) => comment.replace(/[^\n]/g, ' '));
}

/**
 * Places in a package's `src/` and `test/` that spell a Lattice error code as a string literal
 * (`code === 'ERR_NOT_LEADER'`, `toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })`) instead of the
 * class's static constant (`NotLeaderError.code`): a renamed or mistyped code would then pass
 * silently. The declarations themselves, comments, codes that are not Lattice's (Node's
 * `ERR_MODULE_NOT_FOUND`) and the error-classes tests (which pin the codes on purpose) are
 * left alone. Empty when all is well.
 */
export function codeLiteralProblems(packageDir: string | URL): string[] {
  const root = typeof packageDir === 'string' ? packageDir : fileURLToPath(packageDir);
  const codes = declaredCodes();
  const problems: string[] = [];
  for (const dir of ['src', 'test']) {
    const base = join(root, dir);
    if (!existsSync(base)) continue;
    for (const file of sourceFiles(base)) {
      if (file.endsWith('error-classes.test.ts')) continue;
      const lines = withoutComments(readFileSync(file, 'utf8')).split('\n');
      lines.forEach((line, i) => {
        const code = line.replace(/static\s+readonly\s+code\s*=\s*'ERR_[A-Z0-9_]+'/g, '');
        for (const match of code.matchAll(/['"`](ERR_[A-Z0-9_]+)['"`]/g)) {
          if (codes.has(match[1]!)) problems.push(`${relative(root, file)}:${i + 1}: '${match[1]}' spelled out; compare against the class's static code`);
        }
      });
    }
  }
  return problems;
}
