import { describe, expect, it } from 'vitest';
import { codeLiteralProblems, exportedErrorClassProblems, sourceErrorClassProblems } from '../../../scripts/error-classes.js';
import * as api from '../src/index.js';

describe('error classes', () => {
  it('every exported error class has a literal name and a static code equal to its instances\' code', () => {
    expect(exportedErrorClassProblems([api])).toEqual([]);
  });

  it('every error class in the sources is declared in the house form', () => {
    expect(sourceErrorClassProblems(new URL('../src/', import.meta.url))).toEqual([]);
  });

  it('compares codes against the static constants, never spelled out as string literals (src and test)', () => {
    expect(codeLiteralProblems(new URL('../', import.meta.url))).toEqual([]);
  });
});
