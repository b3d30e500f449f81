import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@lattice/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLincheck as run } from './helpers/cli.js';
import { casRegisterModel, check, multiRegisterModel, parseEdnHistory, parseEdnRegisterHistory, parseJepsenLog } from '../src/index.js';

const edn = (...events: string[]): string => events.join('\n');
const log = (...events: string[]): string => `${events.map((e) => `INFO  jepsen.util - ${e}`).join('\n')}\n`;

// x is written 1, then read as nil: a lost write if nil means absent, nothing if it means unknown (Knossos).
const txnEdn = edn(
  '{:process 0, :type :invoke, :f :txn, :value [[:w :x 1]]}',
  '{:process 0, :type :ok, :f :txn, :value [[:w :x 1]]}',
  '{:process 1, :type :invoke, :f :txn, :value [[:r :x nil] [:r :y nil]]}',
  '{:process 1, :type :ok, :f :txn, :value [[:r :x nil] [:r :y nil]]}',
);
const registerEdn = edn('{:process 0, :type :invoke, :f :write, :value 1}', '{:process 0, :type :ok, :f :write, :value 1}', '{:process 1, :type :invoke, :f :read, :value nil}', '{:process 1, :type :ok, :f :read, :value nil}');
const registerLog = log('0 :invoke :write 1', '0 :ok :write 1', '1 :invoke :read nil', '1 :ok :read nil');
const txnLog = log('0 :invoke :txn [[:w 1 1]]', '0 :ok :txn [[:w 1 1]]', '1 :invoke :txn [[:r 1 nil]]', '1 :ok :txn [[:r 1 nil]]');

describe("nil reads: absent by default, unknown as Knossos reads them (nilReads: 'unknown')", () => {
  it('multi-register, EDN and Jepsen log', () => {
    const absent = parseEdnHistory(txnEdn, { model: 'multi-register' });
    expect(absent[1]!.output).toEqual([null, null]);
    expect(check(multiRegisterModel, absent).verdict).toBe('not linearizable');
    const unknown = parseEdnHistory(txnEdn, { model: 'multi-register', nilReads: 'unknown' });
    expect(unknown[1]!.output).toEqual([undefined, undefined]);
    expect(check(multiRegisterModel, unknown).verdict).toBe('linearizable');
    expect(check(multiRegisterModel, parseJepsenLog(txnLog, { model: 'multi-register' })).verdict).toBe('not linearizable');
    expect(check(multiRegisterModel, parseJepsenLog(txnLog, { model: 'multi-register', nilReads: 'unknown' })).verdict).toBe('linearizable');
    // A non-nil read still constrains: x = 2 was never written.
    const wrong = txnEdn.replace(':ok, :f :txn, :value [[:r :x nil]', ':ok, :f :txn, :value [[:r :x 2]');
    expect(wrong).not.toBe(txnEdn);
    expect(check(multiRegisterModel, parseEdnHistory(wrong, { model: 'multi-register', nilReads: 'unknown' })).verdict).toBe('not linearizable');
  });

  it('register and cas-register, EDN and Jepsen log', () => {
    expect(check(casRegisterModel, parseEdnRegisterHistory(registerEdn)).verdict).toBe('not linearizable');
    expect(check(casRegisterModel, parseEdnRegisterHistory(registerEdn, { nilReads: 'unknown' })).verdict).toBe('linearizable');
    expect(check(casRegisterModel, parseJepsenLog(registerLog)).verdict).toBe('not linearizable');
    expect(check(casRegisterModel, parseJepsenLog(registerLog, { nilReads: 'unknown' })).verdict).toBe('linearizable');
    // Explicit absent is the default.
    expect(parseJepsenLog(registerLog, { nilReads: 'absent' })).toEqual(parseJepsenLog(registerLog));
  });

  it('a bad nilReads is an InvalidArgumentError', () => {
    for (const bad of ['none', 1, null, 2n]) {
      expect(() => parseEdnHistory(txnEdn, { model: 'multi-register', nilReads: bad as never })).toThrow(InvalidArgumentError);
      expect(() => parseEdnRegisterHistory(registerEdn, { nilReads: bad as never })).toThrow(InvalidArgumentError);
      expect(() => parseJepsenLog(registerLog, { nilReads: bad as never })).toThrow(/options\.nilReads must be 'absent' or 'unknown'/);
    }
  });
});

describe('lattice-lincheck --nil-reads', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lincheck-nil-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  it('gives Knossos verdicts with unknown, and refuses it where it means nothing', async () => {
    const txn = join(dir, 'txn.edn');
    const reg = join(dir, 'reg.log');
    await writeFile(txn, txnEdn);
    await writeFile(reg, registerLog);
    expect((await run(['--model', 'multi-register', '--format', 'edn', txn])).code).toBe(1);
    expect(await run(['--model', 'multi-register', '--format', 'edn', '--nil-reads', 'unknown', txn])).toEqual({ code: 0, out: [`${txn}\tlinearizable`], err: [] });
    expect((await run(['--model', 'register', '--format', 'jepsen-log', '--nil-reads', 'absent', reg])).code).toBe(1);
    expect((await run(['--model', 'cas-register', '--format', 'jepsen-log', '--nil-reads', 'unknown', reg])).code).toBe(0);
    const bad = await run(['--model', 'register', '--format', 'jepsen-log', '--nil-reads', 'maybe', reg]);
    expect(bad.code).toBe(2);
    expect(bad.err[0]).toBe('lattice-lincheck: --nil-reads must be absent or unknown (got maybe)');
    expect((await run(['--model', 'set', '--format', 'edn', '--nil-reads', 'unknown', txn])).code).toBe(2);
    expect((await run(['--model', 'register', '--format', 'json', '--nil-reads', 'unknown', reg])).err[0]).toMatch(/^lattice-lincheck: --nil-reads applies to register, cas-register and multi-register/);
  });
});
