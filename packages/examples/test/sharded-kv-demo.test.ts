import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runShardedKvDemo } from '../src/sharded-kv/demo.js';

describe('sharded-kv demo', () => {
  it('prints what src/sharded-kv/README.md says it prints', async () => {
    const readme = readFileSync(new URL('../src/sharded-kv/README.md', import.meta.url), 'utf8');
    const block = /<!-- sharded-kv demo output -->\n```text\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const lines: string[] = [];
    await runShardedKvDemo((line) => lines.push(line));
    expect(`${lines.join('\n')}\n`).toBe(block);
  }, 120_000);
});
