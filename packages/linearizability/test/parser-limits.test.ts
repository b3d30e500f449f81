import { isLatticeError } from '@lattice/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MalformedHistoryError, parseEdnKvHistory, parseEdnRegisterHistory, parseJepsenLog, parseJsonHistory } from '../src/index.js';

function caught(fn: () => unknown): MalformedHistoryError {
  try {
    fn();
  } catch (error) {
    if (isLatticeError(error, MalformedHistoryError.code)) return error as MalformedHistoryError;
    throw error;
  }
  throw new Error('expected a MalformedHistoryError');
}

const edn = (process: string, rest = ':type :invoke, :f :read, :value nil'): string => `{:process ${process}, ${rest}}`;

describe('EDN nesting', () => {
  it.each([
    ['vectors', (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`],
    ['maps', (n: number) => `${'{:a '.repeat(n)}1${'}'.repeat(n)}`],
    ['sets', (n: number) => `${'#{'.repeat(n)}${'}'.repeat(n)}`],
    ['discards', (n: number) => `${'#_'.repeat(n)}1 2`],
    ['tags', (n: number) => `${'#t '.repeat(n)}1`],
  ])('deep %s are a MalformedHistoryError, not a RangeError', (_, nest) => {
    for (const depth of [5_000, 100_000]) {
      const text = `${edn('0')}\n{:process 1, :type :invoke, :f :write, :value ${nest(depth)}}`;
      const error = caught(() => parseEdnRegisterHistory(text, { source: 'deep.edn' }));
      expect(error.line).toBe(2);
      expect(error.message).toMatch(/nesting deeper than 1000 levels/);
    }
  });

  it('still reads nesting within the limit', () => {
    const value = `${'['.repeat(900)}${']'.repeat(900)}`;
    const error = caught(() => parseEdnRegisterHistory(`{:process 0, :type :invoke, :f :write, :value ${value}}`));
    expect(error.message).toMatch(/unsupported value/); // parsed; a vector is just not a register value
  });

  it('in a Jepsen log value too', () => {
    const error = caught(() => parseJepsenLog(`INFO  jepsen.util - 0\t:invoke\t:write\t${'['.repeat(10_000)}`, { source: 'etcd.log' }));
    expect(error.line).toBe(1);
    expect(error.message).toMatch(/nesting deeper/);
  });
});

describe('process ids', () => {
  it.each([
    ['9007199254740993.0', /above 2\^53/],
    ['9007199254740993', /above 2\^53/],
    ['1e400', /out of range/],
    ['1.5', /not an integer/],
    ['-1', /negative/],
  ])('EDN :process %s is refused, naming the line', (process, message) => {
    const register = `${edn('7')}\n${edn('8')}\n${edn(process)}`;
    const kv = register.replaceAll(':f :read, :value nil', ':f :get, :key "k", :value nil');
    for (const parse of [() => parseEdnRegisterHistory(register, { source: 'p.edn' }), () => parseEdnKvHistory(kv, { source: 'p.edn' })]) {
      const error = caught(parse);
      expect(error.message).toMatch(/^p\.edn:3: /);
      expect(error.message).toMatch(message);
      expect(error.line).toBe(3);
    }
  });

  it('two processes beyond 2^53 are not merged (previously one "still open" error or a silent merge)', () => {
    // 2^53 + 1 and 2^53 + 2 round to different doubles, 2^53 + 1 and 2^53 to the same one.
    const text = [edn('9007199254740992.0'), edn('9007199254740993.0')].join('\n');
    expect(caught(() => parseEdnRegisterHistory(text)).line).toBe(1);
  });

  it.each([['9007199254740993'], ['99999999999999999999']])('Jepsen log process %s is refused', (process) => {
    const error = caught(() => parseJepsenLog(`INFO  jepsen.util - 0\t:invoke\t:read\tnil\nINFO  jepsen.util - ${process}\t:invoke\t:read\tnil`, { source: 'etcd.log' }));
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/above 2\^53/);
  });

  it.each([
    ['9007199254740993', /above 2\^53/],
    ['1e400', /not finite|finite/],
    ['1.5', /not an integer/],
    ['-3', /negative/],
    ['""', /empty/],
    ['null', /integer or a string/],
    ['[0]', /integer or a string/],
  ])('JSON process %s is refused, naming the line and operation', (process, message) => {
    const text = `[\n{"process":0,"call":0,"return":1,"input":{"op":"read"}},\n{"process":${process},"call":2,"input":{"op":"read"}}\n]`;
    const error = caught(() => parseJsonHistory(text, { source: 'h.json', model: 'register' }));
    expect(error.line).toBe(3);
    expect(error.message).toMatch(/^h\.json:3: operation 1: /);
    expect(error.message).toMatch(message);
  });

  it('accepts every safe integer and string id, in all three formats', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.string({ minLength: 1 })), (process) => {
        const json = JSON.stringify([{ process, call: 0, return: 1, input: { op: 'read' }, output: null }]);
        expect(parseJsonHistory(json, { model: 'register' })[0]!.process).toBe(process);
        if (typeof process === 'number') {
          expect(parseEdnRegisterHistory(edn(String(process)))[0]!.process).toBe(process);
          expect(parseJepsenLog(`INFO  jepsen.util - ${process}\t:invoke\t:read\tnil`)[0]!.process).toBe(process);
        } else {
          expect(parseEdnRegisterHistory(edn(JSON.stringify(process)))[0]!.process).toBe(process);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('EDN numbers and :time', () => {
  it('refuses a float literal beyond the double range as a value', () => {
    const error = caught(() => parseEdnRegisterHistory(`${edn('0')}\n{:process 1, :type :invoke, :f :write, :value 1e400}`));
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/out of range '1e400'/);
  });

  it('keeps :time as invokedAt / completedAt; call and return stay positions', () => {
    const history = parseEdnRegisterHistory(`{:process 0, :type :invoke, :f :write, :value 1, :time 1500}
{:process 0, :type :ok, :f :write, :value 1, :time 2750}
{:process 1, :type :invoke, :f :read, :value nil, :time 3000}`);
    expect(history).toEqual([
      { process: 0, call: 0, return: 1, input: { op: 'write', value: 1 }, output: undefined, invokedAt: 1500, completedAt: 2750 },
      { process: 1, call: 2, return: undefined, input: { op: 'read' }, output: undefined, invokedAt: 3000 },
    ]);
  });

  it('refuses a :time that is not a number', () => {
    expect(caught(() => parseEdnRegisterHistory('{:process 0, :type :invoke, :f :read, :value nil, :time "noon"}')).message).toMatch(/:time must be a number/);
  });
});

describe('parseJsonHistory', () => {
  it('reads what JSON.stringify writes, for generated histories', () => {
    const opArb = fc.record({
      process: fc.nat(20),
      call: fc.nat(1000),
      length: fc.option(fc.nat(50), { nil: undefined }),
      input: fc.oneof(fc.constant({ op: 'read' as const }), fc.record({ op: fc.constant('write' as const), value: fc.oneof(fc.integer(), fc.string(), fc.constant(null)) })),
      output: fc.option(fc.oneof(fc.integer(), fc.constant(null)), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), (ops) => {
        const history = ops.map((o) => ({ process: o.process, call: o.call, return: o.length === undefined ? undefined : o.call + o.length, input: o.input, output: o.input.op === 'read' ? o.output : undefined }));
        expect(parseJsonHistory(JSON.stringify(history), { model: 'register' })).toEqual(history);
      }),
      { numRuns: 150 },
    );
  });

  it.each([
    ['{"process":0}', 1, /must be an array/],
    ['[1,', 1, /malformed JSON/],
    ['[\n{"process":0,"call":"soon","input":{"op":"read"}}]', 2, /call must be a finite number/],
    ['[\n{"process":0,"input":{"op":"read"}}]', 2, /call must be a finite number|call is missing/],
    ['[\n{"process":0,"call":5,"return":4,"input":{"op":"read"}}]', 2, /return 4 is before call 5/],
    ['[\n{"process":0,"call":5}]', 2, /input is missing/],
    ['[\n{"process":0,"call":5,"input":{"op":"cas","from":1,"to":2}}]', 2, /for the register model/],
    ['[\n{"process":0,"call":5,"input":{"op":"write","value":{"x":1}}}]', 2, /input\.value must be/],
    ['[\n{"process":0,"call":5,"input":{"op":"write","value":9007199254740993}}]', 2, /may have lost precision/],
    ['[\n{"process":0,"call":5,"return":6,"input":{"op":"read"},"output":[1]}]', 2, /output of a read/],
    ['[\n\n"read"]', 3, /expected an operation object/],
  ])('names the line of malformed input: %s', (text, line, message) => {
    const error = caught(() => parseJsonHistory(text, { source: 'h.json', model: 'register' }));
    expect(error.line).toBe(line);
    expect(error.message).toMatch(message);
  });

  it('checks kv and cas-register inputs', () => {
    expect(caught(() => parseJsonHistory('[{"process":0,"call":0,"input":{"op":"get"}}]', { model: 'kv' })).message).toMatch(/input\.key must be a string/);
    expect(caught(() => parseJsonHistory('[{"process":0,"call":0,"input":{"op":"put","key":"k","value":3}}]', { model: 'kv' })).message).toMatch(/input\.value of a put/);
    expect(caught(() => parseJsonHistory('[{"process":0,"call":0,"return":1,"input":{"op":"cas","from":1,"to":2},"output":"yes"}]', { model: 'cas-register' })).message).toMatch(/true or false/);
    expect(parseJsonHistory('[{"process":"c1","call":0,"return":1,"input":{"op":"cas","from":1,"to":2},"output":false}]', { model: 'cas-register' })).toHaveLength(1);
  });
});
