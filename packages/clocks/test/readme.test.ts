import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ClockOffsetError } from '../src/index.js';

// Runs every ```ts block of the README against the sources and checks what it prints.
const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const tmp = fileURLToPath(new URL('../.lattice-tmp/readme/', import.meta.url));
const source = pathToFileURL(fileURLToPath(new URL('../src/index.ts', import.meta.url))).href;

const expected: Record<string, unknown[][]> = {
  'Lamport clock': [[-1]],
  'Vector clock': [['concurrent'], ['before'], ['{"alice":1,"bob":2}']],
  'Version vectors': [[['v2', 'v3']], [['resolved']]],
  'Matrix clock': [[false], ['{"a":1,"b":2}']],
  'Hybrid logical clock': [[-1], [0], [8], [ClockOffsetError.code]],
  'Read your writes': [[false], [true]],
  'ShiViz logging': [[[]], [expect.stringContaining('alice {"alice":1}\nping bob\n')]],
};

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('README examples', () => {
  it('has one block per example', () => {
    expect(blocks.length).toBe(Object.keys(expected).length);
  });
  for (const [index, [title, output]] of Object.entries(expected).entries()) {
    it(`runs the ${title} example`, async () => {
      const heading = readme.indexOf(`### ${title}`);
      expect(heading).toBeGreaterThan(0);
      const block = blocks.find((b) => readme.indexOf(b) > heading)!;
      mkdirSync(tmp, { recursive: true });
      const file = `${tmp}block-${index}.ts`;
      writeFileSync(file, block.replaceAll("'@lattice/clocks'", JSON.stringify(source)));
      const log = vi.spyOn(console, 'log').mockImplementation(() => {});
      try {
        await import(/* @vite-ignore */ pathToFileURL(file).href);
        expect(log.mock.calls).toEqual(output);
      } finally {
        log.mockRestore();
      }
    });
  }
});
