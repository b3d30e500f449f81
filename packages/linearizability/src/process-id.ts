/**
 * Why `value` cannot be a process id, or undefined when it can. Process ids are compared
 * exactly, so a number must be a non-negative safe integer: above 2^53 − 1 two different ids
 * read as one double and two processes would merge; `1.5` or `1e400` (Infinity) are corrupt
 * input, not ids. Strings (Jepsen's named clients) are taken as they are.
 */
export function processIdProblem(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? 'a process id must not be empty' : undefined;
  if (typeof value === 'bigint') return `process id ${value} is above 2^53 - 1, where distinct ids would merge`;
  if (typeof value !== 'number') return 'a process id must be an integer or a string';
  if (!Number.isFinite(value)) return `process id ${value} is not finite`;
  if (!Number.isInteger(value)) return `process id ${value} is not an integer`;
  if (value < 0) return `process id ${value} is negative`;
  if (!Number.isSafeInteger(value)) return `process id ${value} is above 2^53 - 1, where distinct ids would merge`;
  return undefined;
}
