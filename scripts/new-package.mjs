#!/usr/bin/env node
// Creates packages/<name> with the layout every Lattice package shares (CONVENTIONS.md):
// package.json with the dual ESM/CJS exports map, tsconfig, tsup, typedoc and vitest configs.
//   node scripts/new-package.mjs <name> "<one-line description>" [--node] [--private] [--entry sub=src/path.ts ...]
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const [name, description] = args;
if (!name || !description) {
  console.error('usage: new-package.mjs <name> "<description>" [--node] [--private] [--entry sub=src/file.ts]');
  process.exit(2);
}
const node = args.includes('--node');
const isPrivate = args.includes('--private');
const entries = { '.': 'src/index.ts' };
args.forEach((arg, i) => {
  if (arg === '--entry') {
    const [sub, file] = args[i + 1].split('=');
    entries[`./${sub}`] = file;
  }
});
const dir = join('packages', name);
if (existsSync(join(dir, 'package.json'))) {
  console.error(`${dir} already exists`);
  process.exit(2);
}
for (const sub of ['src', 'test']) mkdirSync(join(dir, sub), { recursive: true });

const outName = (file) => file.replace(/^src\//, '').replace(/\.ts$/, '').replace(/\/index$/, '');
const exportsMap = {};
const tsupEntry = {};
for (const [sub, file] of Object.entries(entries)) {
  const out = sub === '.' ? 'index' : outName(file);
  tsupEntry[out] = file;
  exportsMap[sub] = {
    '@lattice/source': `./${file}`,
    import: { types: `./dist/${out}.d.ts`, default: `./dist/${out}.js` },
    require: { types: `./dist/${out}.d.cts`, default: `./dist/${out}.cjs` },
  };
}
exportsMap['./package.json'] = './package.json';

const pkg = {
  name: `@lattice/${name}`,
  version: '0.1.0',
  description,
  license: 'MIT',
  ...(isPrivate ? { private: true } : {}),
  type: 'module',
  sideEffects: false,
  exports: exportsMap,
  main: './dist/index.cjs',
  module: './dist/index.js',
  types: './dist/index.d.ts',
  files: ['dist', 'src', 'README.md', 'CHANGELOG.md'],
  engines: { node: '>=20.19' },
  scripts: {
    build: 'tsup',
    typecheck: 'tsc -p tsconfig.json',
    lint: 'biome lint src test',
    test: 'vitest run',
  },
  keywords: ['distributed-systems', 'lattice'],
  repository: { type: 'git', url: 'git+https://github.com/lattice-dist/lattice.git', directory: `packages/${name}` },
  ...(isPrivate ? {} : { publishConfig: { access: 'public' } }),
  dependencies: {},
  devDependencies: {},
};
if (name !== 'core') pkg.dependencies['@lattice/core'] = '^0.1.0';
writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);

writeFileSync(
  join(dir, 'tsconfig.json'),
  `${JSON.stringify({ extends: '../../tsconfig.base.json', compilerOptions: { types: ['node'] }, include: ['src', 'test', 'bench'] }, null, 2)}\n`,
);
writeFileSync(
  join(dir, 'tsup.config.ts'),
  `import { defineLibrary } from '../../tsup.shared.ts';

export default defineLibrary({ entry: ${JSON.stringify(tsupEntry)}, platform: '${node ? 'node' : 'neutral'}' });
`,
);
writeFileSync(
  join(dir, 'typedoc.json'),
  `${JSON.stringify({ extends: ['../../typedoc.base.json'], entryPoints: Object.values(entries), readme: 'README.md' }, null, 2)}\n`,
);
writeFileSync(
  join(dir, 'vitest.config.ts'),
  `import { defineProject, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.ts';

export default mergeConfig(sharedConfig, defineProject({ test: { name: '${name}' } }));
`,
);
// Every package's error classes are held to the house form (literal name, static code) from the start.
const entryImports = Object.values(entries).map((file, i) => `import * as entry${i} from '../${file.replace(/\.ts$/, '.js')}';`);
writeFileSync(
  join(dir, 'test', 'error-classes.test.ts'),
  `import { describe, expect, it } from 'vitest';
import { exportedErrorClassProblems, sourceErrorClassProblems } from '../../../scripts/error-classes.js';
${entryImports.join('\n')}

describe('error classes', () => {
  it('every exported error class has a literal name and a static code equal to the code of its instances', () => {
    expect(exportedErrorClassProblems([${entryImports.map((_, i) => `entry${i}`).join(', ')}])).toEqual([]);
  });

  it('every error class in the sources is declared in the house form', () => {
    expect(sourceErrorClassProblems(new URL('../src/', import.meta.url))).toEqual([]);
  });
});
`,
);
console.log(`created ${dir} (${node ? 'Node only' : 'runs anywhere'}${isPrivate ? ', private' : ''})`);
