import { runCli } from '../../src/cli/run.js';

/** Runs `lattice-lincheck` in process with `args`: its exit code and the lines it printed. */
export async function runLincheck(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
  return { code, out, err };
}
