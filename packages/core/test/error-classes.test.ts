import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { codeForClassName, codeLiteralProblems, exportedErrorClassProblems, nameCodeProblem, sourceErrorClassProblems } from '../../../scripts/error-classes.js';
import * as api from '../src/index.js';
import { DuplicateNodeError, InvalidArgumentError, isLatticeError, LatticeError, MessageTooLargeError, UnsupportedVersionError } from '../src/index.js';

// Compile-time guards: the static codes keep their literal types, so a caller's
// `switch (error.code) { case DuplicateNodeError.code: … }` narrows.
const duplicateCode: 'ERR_DUPLICATE_NODE' = DuplicateNodeError.code;
const invalidCode: 'ERR_INVALID_ARGUMENT' = InvalidArgumentError.code;

describe('error classes', () => {
  it('every exported error class has a literal name and a static code equal to its instances\' code', () => {
    expect(exportedErrorClassProblems([api])).toEqual([]);
  });

  it('every error class in the sources is declared in the house form', () => {
    expect(sourceErrorClassProblems(new URL('../src/', import.meta.url))).toEqual([]);
  });

  it('the name implies the code: FooBarError has ERR_FOO_BAR', () => {
    expect(['WalCorruptionError', 'StorageIoError', 'CrdtTypeMismatchError', 'NotLeaderError', 'HTTPStatusError'].map(codeForClassName)).toEqual([
      'ERR_WAL_CORRUPTION',
      'ERR_STORAGE_IO',
      'ERR_CRDT_TYPE_MISMATCH',
      'ERR_NOT_LEADER',
      'ERR_HTTP_STATUS',
    ]);
    expect(nameCodeProblem('WalCorruptionError', 'ERR_WAL_CORRUPTION')).toBeUndefined();
    expect(nameCodeProblem('WalCorruptionError', 'ERR_WAL_CORRUPT')).toContain('should be ERR_WAL_CORRUPTION');
  });

  it('UnsupportedVersionError carries the version found and the newest one supported', () => {
    const error = new UnsupportedVersionError(3, 1, 'WAL segment');
    expect(error).toMatchObject({ code: UnsupportedVersionError.code, name: 'UnsupportedVersionError', version: 3, supported: 1 });
    expect(error.message).toBe('WAL segment version 3 is not supported: this build reads versions up to 1');
  });

  it('keeps the existing codes (they are a stable API)', () => {
    expect([duplicateCode, invalidCode, MessageTooLargeError.code]).toEqual(['ERR_DUPLICATE_NODE', 'ERR_INVALID_ARGUMENT', 'ERR_MESSAGE_TOO_LARGE']);
    expect(new MessageTooLargeError(5, 4)).toMatchObject({ code: MessageTooLargeError.code, size: 5, limit: 4, name: 'MessageTooLargeError' });
  });

  it('the base class is named LatticeError, and a subclass that declares its name wins', () => {
    const base = new LatticeError('ERR_SOMETHING', 'm');
    expect(base.name).toBe('LatticeError');
    expect(String(base)).toBe('LatticeError: m');
    class LocalError extends LatticeError {
      static readonly code = 'ERR_LOCAL';
      override readonly name = 'LocalError';
      constructor(message: string) {
        super(LocalError.code, message);
      }
    }
    const local = new LocalError('m');
    expect(local.name).toBe('LocalError');
    expect(local.code).toBe(LocalError.code);
    expect(isLatticeError(local, LocalError.code)).toBe(true);
    expect(String(new DuplicateNodeError('a'))).toBe('DuplicateNodeError: Node "a" is already open on this transport');
  });

  it('a minified bundle prints the literal names, not the mangled class names', () => {
    const entry = `
      import { DuplicateNodeError, LatticeError } from './errors.js';
      class AppError extends LatticeError {
        static readonly code = 'ERR_APP';
        override readonly name = 'AppError';
        constructor(message: string) { super(AppError.code, message); }
      }
      const duplicate = new DuplicateNodeError('a');
      const app = new AppError('b');
      module.exports = { printed: [String(duplicate), String(app)], classNames: [duplicate.constructor.name, app.constructor.name] };
    `;
    const result = buildSync({
      stdin: { contents: entry, resolveDir: new URL('../src/', import.meta.url).pathname, loader: 'ts', sourcefile: 'entry.ts' },
      bundle: true,
      minify: true,
      format: 'cjs',
      platform: 'neutral',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]?.text ?? '';
    const module = { exports: {} as { printed?: string[]; classNames?: string[] } };
    new Function('module', 'exports', code)(module, module.exports);
    // The minifier did rename the classes, so `new.target.name` would have printed a mangled name.
    expect(module.exports.classNames).not.toContain('DuplicateNodeError');
    expect(module.exports.classNames).not.toContain('AppError');
    expect(module.exports.printed).toEqual(['DuplicateNodeError: Node "a" is already open on this transport', 'AppError: b']);
  });

  it('compares codes against the static constants, never spelled out as string literals (src and test)', () => {
    expect(codeLiteralProblems(new URL('../', import.meta.url))).toEqual([]);
  });

  it('codeLiteralProblems finds a Lattice code spelled out, and leaves comments, declarations and foreign codes alone', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lattice-code-literals-'));
    try {
      mkdirSync(join(dir, 'src'));
      mkdirSync(join(dir, 'test'));
      writeFileSync(join(dir, 'src', 'a.ts'), "// 'ERR_NOT_LEADER' in a comment\nexport class XError { static readonly code = 'ERR_INVALID_ARGUMENT'; }\nconst node = 'ERR_MODULE_NOT_FOUND';\n");
      writeFileSync(join(dir, 'test', 'b.test.ts'), "expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });\n");
      expect(codeLiteralProblems(dir)).toEqual([`${join('test', 'b.test.ts')}:1: 'ERR_INVALID_ARGUMENT' spelled out; compare against the class's static code`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
