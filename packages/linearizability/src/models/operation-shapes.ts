/**
 * What is wrong with an operation of a built-in model, or undefined when nothing is: the
 * models' `validateOperation`, which `check` runs on every operation before searching, so a
 * wrong shape is an `InvalidArgumentError` naming the operation instead of a crash in `step`.
 */

/** JSON text of a value for error messages (bigints as `1n`, cycles as String()). */
export const show = (value: unknown): string => {
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};

/** A non-null, non-array object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why `value` is not a register value (null, a string, a number, a boolean or a bigint). */
export function registerValueProblem(value: unknown, where: string): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return undefined;
  return `${where} must be null, a number, a string, a boolean or a bigint, got ${show(value)}`;
}

/**
 * Register (and, with `cas`, compare-and-set register) operations. A cas's output is typed as
 * any register value or boolean (a non-boolean one can never happen, which is for the search to
 * find out); `strictCas` asks for `true` or `false`, as a recorded history has.
 */
export function registerOperationProblem(input: unknown, output: unknown, cas: boolean, strictCas = false): string | undefined {
  if (!isRecord(input)) return `input must be an object, got ${show(input)}`;
  const op = input['op'];
  if (op === 'read') return output === undefined ? undefined : registerValueProblem(output, 'output of a read');
  if (op === 'write') return registerValueProblem(input['value'], 'input.value');
  if (op === 'cas' && cas) {
    const problem = registerValueProblem(input['from'], 'input.from') ?? registerValueProblem(input['to'], 'input.to');
    if (problem !== undefined) return problem;
    if (output === undefined) return undefined;
    if (strictCas && typeof output !== 'boolean') return `output of a cas must be true or false, got ${show(output)}`;
    return registerValueProblem(output, 'output of a cas');
  }
  return `input.op must be ${cas ? '"read", "write" or "cas" for the cas-register' : '"read" or "write" for the register'} model, got ${show(op)}`;
}

/** Key-value operations. */
export function kvOperationProblem(input: unknown, output: unknown): string | undefined {
  if (!isRecord(input)) return `input must be an object, got ${show(input)}`;
  const op = input['op'];
  if (op !== 'get' && op !== 'put' && op !== 'append') return `input.op must be "get", "put" or "append" for the kv model, got ${show(op)}`;
  if (typeof input['key'] !== 'string') return `input.key must be a string, got ${show(input['key'])}`;
  if (op !== 'get' && typeof input['value'] !== 'string') return `input.value of a ${op} must be a string, got ${show(input['value'])}`;
  if (op === 'get' && output !== undefined && typeof output !== 'string') return `output of a get must be a string, got ${show(output)}`;
  return undefined;
}
