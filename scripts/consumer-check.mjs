#!/usr/bin/env node
// The consumer check (CONVENTIONS.md): what a user gets from npm, tested the way a user uses it.
// Packs every publishable package, installs the tarballs into a scratch project in the system's
// temp dir (outside the repository, so nothing resolves through the workspace), then
//  1. typechecks one file per public entry (every `exports` subpath but ./package.json), without
//     skipLibCheck, with the oldest supported TypeScript (5.0), the newest 5.x and 6.x (through
//     the compiler API) and the newest 7.x (the native compiler, npm's `latest`, through its
//     `tsc`: it has no JavaScript API), under moduleResolution node16 (an ESM .mts and a CJS
//     .cts importer) and bundler:
//       - "dom" profile: lib ES2022 + DOM and no @types/node, for entries that run anywhere;
//       - "node" profile: lib ES2022 + @types/node, for every entry;
//       - "esnext" profile (all but 5.0, which has no `await using`): lib ESNext + DOM, where
//         TypeScript's own disposable declarations merge with ours, and `await using` must
//         accept our objects;
//  2. runs a small program per entry as ESM (.mjs, import) and as CommonJS (.cjs, require),
//     checks what it prints, and that both module systems export the same names;
//  3. runs every README example of every package that the test suite runs (the README
//     convention: a ```ts/```js block, `Prints:` and the exact output; `<!-- not-run -->` and
//     `<!-- needs: service -->` blocks are left to the test suite), compiled to .mjs and to .cjs,
//     against the installed tarballs, and compares what it prints.
// Needs a build first (`npm run build`). Exits non-zero on any failure, after a summary.
//   node scripts/consumer-check.mjs [--keep] [package-dir ...]
// (--keep leaves the scratch project for a look; package dirs, e.g. `clocks core`, narrow the
// check to those packages while working on them; CI checks all.)
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { extractReadmeBlocks, normalizeOutput } from '@lattice/test-kit';

/** The oldest TypeScript the published declarations support; README.md states it. */
const MINIMUM_TYPESCRIPT = '5.0.4';
/** The newest 5.x line, the one the repository builds with (typedoc and tsup here accept 5.x only). */
const TYPESCRIPT_5 = '^5.9.3';
/** The newest 6.x line: the last one with the JavaScript compiler API. */
const TYPESCRIPT_6 = '^6.0.3';
/**
 * The newest 7.x line, npm's `latest`: the native compiler. Its package exports no compiler API,
 * only `tsc` (a Go binary from an optional per-platform dependency, which installs with
 * --ignore-scripts), so it is checked through its CLI: per profile and mode, one `tsc -p` of all
 * entries together and one `tsc -b` of each entry alone.
 */
const TYPESCRIPT_7 = '^7.0.2';
/** For the node profile: the @types/node line of the oldest Node the packages support. */
const NODE_TYPES = '^20.19.0';

/**
 * Entries that need Node because they import `node:` modules. Every other entry must typecheck
 * in a browser project, except test suites that load vitest (found in the build, below): vitest
 * needs @types/node itself, and refuses require(), so those are checked with Node's types and run
 * as ESM only.
 */
const NODE_ONLY = new Set(['@lattice/transport/tcp', '@lattice/wal', '@lattice/wal/testing', '@lattice/gossip/node']);

/**
 * What each entry's program does and prints. `m` is the entry's namespace, imported in ESM and
 * required in CJS; the code runs inside an async function. Modelled on the README examples
 * (those that start servers or write into the working directory are cut down to a call).
 */
const PROGRAMS = {
  '@lattice/core': {
    code: `const codec = m.jsonCodec();
const bytes = codec.encode({ seq: 1 });
print(bytes instanceof Uint8Array, codec.decode(bytes).seq);
const error = new m.UnknownPeerError('b');
print(m.isLatticeError(error, m.UnknownPeerError.code), error.name);`,
    expect: 'true 1\ntrue UnknownPeerError',
  },
  '@lattice/core/compliance': {
    code: `print(typeof m.runTransportTests, typeof m.runStorageTests);`,
    expect: 'function function',
  },
  '@lattice/core/testing': {
    code: `const clock = new m.ManualClock();
clock.setTimeout(() => print('fired at', clock.monotonic()), 100);
clock.advance(100);`,
    expect: 'fired at 100',
  },
  '@lattice/transport': {
    code: `const network = new m.MemoryNetwork();
const a = await network.open('a');
const b = await network.open('b');
const received = new Promise((resolve) => b.onMessage((message) => resolve(message)));
// The system timers are unref'd (they never hold a process open), so without this a script
// whose only pending work is the delivery would exit before it.
const keepAlive = setTimeout(() => {}, 10_000);
await a.send('b', new TextEncoder().encode('hello'));
const message = await received;
clearTimeout(keepAlive);
print(message.from, new TextDecoder().decode(message.payload));
await network.close();`,
    expect: 'a hello',
  },
  '@lattice/transport/tcp': {
    code: `const transport = new m.TcpTransport({ secret: 'a cluster secret of 16+ bytes', listen: { host: '127.0.0.1', port: 0 } });
const alpha = await transport.open('alpha');
print(alpha.id, alpha.closed);
await transport.close();
print(alpha.closed);`,
    expect: 'alpha false\ntrue',
  },
  // The NATS client is an optional peer and is not installed here: the entry loads, and open says what to install.
  '@lattice/transport/nats': {
    code: `const transport = new m.NatsTransport({ cluster: 'orders' });
print(transport.subjectOf('db.eu/1'));
const error = await transport.open('a').catch((e) => e);
print(error.code === m.NatsClientMissingError.code);
await transport.close();`,
    expect: 'lattice.orders.db_2Eeu_2F1\ntrue',
  },
  '@lattice/clocks': {
    code: `const a = new m.LamportClock('a');
const b = new m.LamportClock('b');
const sent = a.send();
const received = b.receive(sent);
print(received.time, m.compareLamport(sent, received));`,
    expect: '2 -1',
  },
  '@lattice/crdt': {
    code: `const views = new m.GCounter('a');
print(new m.GCounter('b').join(views.increment(3)).value());
const set = new m.ORSet('a');
set.add('milk');
print([...set.value()].join(','));`,
    expect: '3\nmilk',
  },
  '@lattice/ratelimit': {
    code: `const limiter = new m.TokenBucket({ capacity: 2, refillRate: 1, intervalMs: 1000 });
const results = [];
for (let i = 0; i < 3; i++) results.push((await limiter.consume('client')).allowed);
print(results.join(' '));`,
    expect: 'true true false',
  },
  '@lattice/hashring': {
    code: `const ring = new m.HashRing({ members: [{ id: 'node-a' }, { id: 'node-b' }, { id: 'node-c' }] });
const owner = ring.lookup('user:1042');
print(['node-a', 'node-b', 'node-c'].includes(owner), m.restore(ring.serialize()).lookup('user:1042') === owner);`,
    expect: 'true true',
  },
  '@lattice/wal': {
    code: `const { mkdtempSync, rmSync } = await import('node:fs');
const { tmpdir } = await import('node:os');
const { join } = await import('node:path');
const dir = mkdtempSync(join(tmpdir(), 'lattice-consumer-wal-'));
try {
  const wal = await m.openWal(dir);
  print(await wal.append(new TextEncoder().encode('put x=1')));
  await wal.close();
  const reopened = await m.openWal(dir);
  for await (const { index, data } of reopened.entries()) print(index, new TextDecoder().decode(data));
  await reopened.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}`,
    expect: '1\n1 put x=1',
  },
  '@lattice/wal/testing': {
    code: `const wal = new m.MemoryWal({ storage: new m.MemoryWalStorage() });
print(await wal.append(new Uint8Array([1])));
await wal.close();`,
    expect: '1',
  },
  '@lattice/wal/compliance': {
    code: `print(typeof m.runWalTests);`,
    expect: 'function',
  },
  '@lattice/ratelimit/compliance': {
    code: `print(typeof m.runStoreTests);`,
    expect: 'function',
  },
  '@lattice/linearizability': {
    code: `const history = [
  { process: 0, call: 0, return: 4, input: { op: 'put', key: 'x', value: 'a' }, output: undefined },
  { process: 1, call: 1, return: 6, input: { op: 'append', key: 'x', value: 'b' }, output: undefined },
  { process: 2, call: 7, return: 8, input: { op: 'get', key: 'x' }, output: 'b' },
];
print(m.check(m.kvModel, history, { timeoutMs: 10_000 }).verdict);`,
    expect: 'not linearizable',
  },
  '@lattice/sim': {
    code: `const seeds = [...m.simulationSeeds({ count: 2 })];
print(seeds.length);
const sim = new m.Simulation({ seed: seeds[0], nodes: ['n1', 'n2'], node: () => ({}) });
const result = await sim.run({ duration: 1_000 });
print(typeof result);`,
    expect: '2\nobject',
  },
};

const keep = process.argv.includes('--keep');
const only = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const root = resolve(new URL('..', import.meta.url).pathname);
const started = performance.now();
const failures = [];
const counts = { typecheck: 0, run: 0, readme: 0 };

function fail(what, detail) {
  failures.push(what);
  console.log(`FAIL ${what}\n${detail.trimEnd().replace(/^/gm, '     ')}`);
}

function npm(args, cwd) {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

/** spawnSync's result, without blocking: for the native tsc, which runs beside the compiler API. */
function run(command, args, { cwd, timeout }) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', (error) => resolve({ status: null, signal: null, error, stdout, stderr }));
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
}

function seconds(since) {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

// --- what is published -------------------------------------------------------------------------
const packages = [];
for (const name of readdirSync(join(root, 'packages')).sort()) {
  const file = join(root, 'packages', name, 'package.json');
  if (!existsSync(file)) continue;
  const pkg = JSON.parse(readFileSync(file, 'utf8'));
  if (pkg.private || (only.length > 0 && !only.includes(name))) continue;
  if (!existsSync(join(root, 'packages', name, 'dist'))) {
    console.error(`packages/${name}/dist is missing: run \`npm run build\` first`);
    process.exit(1);
  }
  packages.push({ ...pkg, dir: name });
}
const entries = [];
const loadsVitest = new Set();
for (const pkg of packages) {
  for (const [sub, conditions] of Object.entries(pkg.exports)) {
    if (sub === './package.json') continue;
    const entry = sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`;
    entries.push(entry);
    if (importsVitest(join(root, 'packages', pkg.dir, conditions.import.default))) loadsVitest.add(entry);
  }
}
const nodeOnly = (entry) => NODE_ONLY.has(entry) || loadsVitest.has(entry);

/** Whether a built module, or a chunk it imports, imports vitest. */
function importsVitest(file, seen = new Set()) {
  if (seen.has(file) || !existsSync(file)) return false;
  seen.add(file);
  const source = readFileSync(file, 'utf8');
  if (/from\s*['"]vitest['"]|import\s*['"]vitest['"]/.test(source)) return true;
  const chunks = [...source.matchAll(/(?:from|import)\s*['"](\.\.?\/[^'"]+)['"]/g)].map((m) => join(file, '..', m[1]));
  return chunks.some((chunk) => importsVitest(chunk, seen));
}
// An entry nobody wrote a program for yet is still imported and compared in both systems.
const importOnly = { code: 'print(Object.keys(m).length > 0);', expect: 'true' };
for (const entry of entries) {
  if (!PROGRAMS[entry]) console.log(`note: no program for ${entry} in scripts/consumer-check.mjs: import only`);
}

// --- pack and install --------------------------------------------------------------------------
const scratch = mkdtempSync(join(tmpdir(), 'lattice-consumer-'));
const tarballs = join(scratch, 'tarballs');
mkdirSync(tarballs);
let phase = performance.now();
const packed = JSON.parse(
  npm(['pack', '--json', '--pack-destination', tarballs, ...packages.flatMap((pkg) => ['-w', pkg.name])], root),
);
console.log(`packed ${packed.length} packages (${seconds(phase)})`);

const rootVersion = (name) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
const project = join(scratch, 'project');
mkdirSync(project);
const dependencies = Object.fromEntries(packed.map((tarball) => [tarball.name, `file:${join(tarballs, tarball.filename)}`]));
writeFileSync(
  join(project, 'package.json'),
  JSON.stringify({
    name: 'lattice-consumer',
    private: true,
    dependencies: {
      ...dependencies,
      // The optional peers of the compliance suites (the `compliance` entries), at the versions
      // the repository tests with.
      vitest: rootVersion('vitest'),
      'fast-check': rootVersion('fast-check'),
      'typescript-7': `npm:typescript@${TYPESCRIPT_7}`,
      'typescript-6': `npm:typescript@${TYPESCRIPT_6}`,
      'typescript-5': `npm:typescript@${TYPESCRIPT_5}`,
      'typescript-minimum': `npm:typescript@${MINIMUM_TYPESCRIPT}`,
    },
  }),
);
// @types/node lives apart from the project, so that the dom profile cannot see it even through a
// `/// <reference types="node" />` or an `import 'node:…'` slipped into a declaration.
const nodeTypes = join(scratch, 'node-types');
mkdirSync(nodeTypes);
writeFileSync(
  join(nodeTypes, 'package.json'),
  JSON.stringify({ name: 'node-types', private: true, dependencies: { '@types/node': NODE_TYPES } }),
);
phase = performance.now();
const installFlags = ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline', '--no-package-lock'];
try {
  npm(installFlags, project);
  npm(installFlags, nodeTypes);
} catch (error) {
  fail('npm install in the scratch project', `${error.stdout ?? ''}${error.stderr ?? error.message}`);
  finish();
}
const requireInProject = createRequire(join(project, 'package.json'));
// The versions checked through the compiler API; 5.0 has no `await using` (5.2+).
const versions = ['typescript-6', 'typescript-5', 'typescript-minimum'].map((name) => ({
  name,
  ts: requireInProject(name),
  awaitUsing: name !== 'typescript-minimum',
}));
// The version checked through its CLI (its package's main export is only its version).
const cli = {
  tsc: join(project, 'node_modules', 'typescript-7', 'bin', 'tsc'),
  version: requireInProject('typescript-7/package.json').version,
};
console.log(
  `installed the tarballs, vitest, TypeScript ${[...versions.map((v) => v.ts.version), cli.version].join(', ')} in ${project} (${seconds(phase)})`,
);

// --- typecheck ---------------------------------------------------------------------------------
const modes = [
  { name: 'node16 esm', extension: 'mts', module: 'Node16', moduleResolution: 'Node16' },
  { name: 'node16 cjs', extension: 'cts', module: 'Node16', moduleResolution: 'Node16' },
  { name: 'bundler', extension: 'ts', module: 'ESNext', moduleResolution: 'Bundler' },
];
const profiles = [
  { name: 'dom', lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'], types: [], entries: entries.filter((e) => !nodeOnly(e)) },
  {
    name: 'node',
    lib: ['lib.es2022.d.ts'],
    types: ['node'],
    typeRoots: [join(nodeTypes, 'node_modules/@types')],
    entries,
  },
  {
    name: 'esnext',
    lib: ['lib.esnext.d.ts', 'lib.dom.d.ts'],
    types: [],
    entries: entries.filter((e) => !nodeOnly(e)),
    awaitUsing: true,
  },
];
const checks = join(project, 'checks');
mkdirSync(checks);
const slug = (entry) => entry.replace('@lattice/', '').replace(/\//g, '-');
// Under lib ESNext, `await using` must take our long-lived objects as they are.
const disposeUsage = `import { MemoryNetwork } from '@lattice/transport';
export async function disposes(): Promise<boolean> {
  const network = new MemoryNetwork();
  let endpoint;
  {
    await using opened = await network.open('a');
    endpoint = opened;
  }
  await network.close();
  return endpoint.closed;
}
`;

/** Writes a group's check files (one per entry, and the `await using` one under esnext). */
function writeChecks(profile, mode, version) {
  const roots = profile.entries.map((entry) => {
    const file = join(checks, `${slug(entry)}.${profile.name}.${mode.name.replace(' ', '-')}.${version}.${mode.extension}`);
    writeFileSync(file, `import * as entry from '${entry}';\nexport const names: string[] = Object.keys(entry);\n`);
    return { what: entry, file };
  });
  if (profile.name === 'esnext' && mode.extension !== 'cts' && entries.includes('@lattice/transport')) {
    const file = join(checks, `await-using.${mode.name.replace(' ', '-')}.${version}.${mode.extension}`);
    writeFileSync(file, disposeUsage);
    roots.push({ what: '`await using` of an endpoint', file });
  }
  return roots;
}

// TypeScript 7 through its CLI, per profile and mode: one `tsc -p` of all entries together,
// every file checked (as the compiler API's whole programs below), then one `tsc -b` of one
// project per entry (each entry alone), which checks them all in one process. The native tsc
// runs in child processes, one at a time, alongside the compiler API checks below (which take
// one core).
const cliPhase = performance.now();
let cliChecked = 0;
const cliDone = (async () => {
  for (const profile of profiles) {
    for (const mode of modes) {
      const roots = writeChecks(profile, mode, cli.version);
      const group = `${profile.name}.${mode.name.replace(' ', '-')}.${cli.version}`;
      const writeConfig = (name, files) => {
        const config = join(checks, `tsconfig.${name}.json`);
        const compilerOptions = {
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          skipDefaultLibCheck: true,
          target: 'ES2022',
          module: mode.module,
          moduleResolution: mode.moduleResolution,
          lib: profile.lib.map((file) => file.replace(/^lib\.|\.d\.ts$/g, '')),
          types: profile.types,
          ...(profile.typeRoots ? { typeRoots: profile.typeRoots } : {}),
        };
        writeFileSync(config, JSON.stringify({ compilerOptions, files }, null, 2));
        return config;
      };
      const config = writeConfig(group, roots.map((root) => root.file));
      const where = `TypeScript ${cli.version} tsc, ${mode.name}, ${profile.name}`;
      // --listFilesOnly is not used: --listFiles prints the files after checking them, so that a
      // tsc that checked none of our roots cannot pass.
      const result = await run(process.execPath, [cli.tsc, '-p', config, '--pretty', 'false', '--listFiles'], {
        cwd: project,
        timeout: 300_000,
      });
      cliChecked++;
      // The lines that name a file (--listFiles), apart from the diagnostics.
      const lines = `${result.stdout ?? ''}${result.stderr ?? ''}`.split('\n');
      const listed = new Set(lines.map((line) => line.trim()).filter((line) => line.startsWith('/') && existsSync(line)));
      const unlisted = roots.filter((root) => !listed.has(root.file));
      if (result.status !== 0 || unlisted.length > 0) {
        const output = lines.filter((line) => !listed.has(line.trim())).join('\n');
        fail(
          `typecheck all entries together (${where})`,
          `exit ${result.status ?? result.signal ?? result.error}\n${output}${unlisted.length > 0 ? `\nnot checked: ${unlisted.map((root) => root.file).join(', ')}` : ''}`,
        );
      }
      // Each entry alone, one project per entry in one `tsc -b`. A diagnostic names its file: a
      // check file names its entry (and the failure lists which project checks which entry).
      const alone = roots.map((root, i) => writeConfig(`${group}.${i}`, [root.file]));
      const build = await run(process.execPath, [cli.tsc, '-b', '--pretty', 'false', ...alone], {
        cwd: checks,
        timeout: 300_000,
      });
      cliChecked += alone.length;
      if (build.status !== 0) {
        fail(
          `typecheck each entry alone (${where})`,
          `exit ${build.status ?? build.signal ?? build.error}\n${build.stdout ?? ''}${build.stderr ?? ''}\nprojects: ${roots.map((root, i) => `tsconfig.${group}.${i}.json = ${root.what}`).join(', ')}`,
        );
      }
    }
  }
})();

phase = performance.now();
for (const { ts, awaitUsing } of versions) {
  const versionPhase = performance.now();
  const versionChecked = counts.typecheck;
  let aloneMs = 0;
  for (const profile of profiles) {
    if (profile.awaitUsing && !awaitUsing) continue;
    for (const mode of modes) {
      const options = {
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        // TypeScript's own lib files are not what is under test (and are the slowest to check).
        skipDefaultLibCheck: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind[mode.module],
        moduleResolution: ts.ModuleResolutionKind[mode.moduleResolution],
        lib: profile.lib,
        types: profile.types,
        ...(profile.typeRoots ? { typeRoots: profile.typeRoots } : {}),
      };
      // Source files parse once per group and are shared by its programs.
      const cache = new Map();
      const host = ts.createCompilerHost(options, true);
      const readSource = host.getSourceFile.bind(host);
      host.getSourceFile = (fileName, languageVersion, onError, shouldCreate) => {
        const key = `${fileName}|${typeof languageVersion === 'object' ? `${languageVersion.languageVersion}/${languageVersion.impliedNodeFormat}` : languageVersion}`;
        if (!cache.has(key)) cache.set(key, readSource(fileName, languageVersion, onError, shouldCreate));
        return cache.get(key);
      };
      const roots = writeChecks(profile, mode, ts.version);
      const where = `TypeScript ${ts.version}, ${mode.name}, ${profile.name}`;
      const report = (what, diagnostics) => {
        if (diagnostics.length === 0) return;
        fail(
          `typecheck ${what} (${where})`,
          ts.formatDiagnostics(diagnostics, {
            getCanonicalFileName: (f) => f,
            getCurrentDirectory: () => project,
            getNewLine: () => '\n',
          }),
        );
      };
      // All entries together, every file checked, as `tsc` without skipLibCheck would: this also
      // checks the third-party declarations they pull in, and how ours merge with them.
      const whole = ts.createProgram(
        roots.map((root) => root.file),
        options,
        host,
      );
      counts.typecheck++;
      report('all entries together', ts.getPreEmitDiagnostics(whole));
      // Lets the native tsc's child processes (above) be read and started between programs.
      await new Promise((resolve) => setImmediate(resolve));
      // Each entry alone, so that none leans on a declaration only another entry brings in. Only
      // our own files are checked here (the whole program above checked the rest once).
      const aloneStarted = performance.now();
      for (const { what, file } of roots) {
        const program = ts.createProgram([file], options, host);
        counts.typecheck++;
        const ours = program
          .getSourceFiles()
          .filter((source) => source.fileName === file || source.fileName.includes('/node_modules/@lattice/'));
        report(what, [
          ...program.getOptionsDiagnostics(),
          ...program.getGlobalDiagnostics(),
          ...ours.flatMap((source) => [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]),
        ]);
        await new Promise((resolve) => setImmediate(resolve));
      }
      aloneMs += performance.now() - aloneStarted;
    }
  }
  console.log(
    `  TypeScript ${ts.version}: ${counts.typecheck - versionChecked} programs (${seconds(versionPhase)}, of which each entry alone ${(aloneMs / 1000).toFixed(1)} s)`,
  );
}
console.log(`typechecked ${counts.typecheck} programs through the compiler API (${seconds(phase)})`);
await cliDone;
counts.typecheck += cliChecked;
console.log(`typechecked ${cliChecked} programs through TypeScript ${cli.version}'s tsc (${seconds(cliPhase)} since it started)`);


// --- run in ESM and CJS ------------------------------------------------------------------------
phase = performance.now();
const runs = join(project, 'runs');
mkdirSync(runs);
const exportedNames = {};
for (const entry of entries) {
  const program = PROGRAMS[entry] ?? importOnly;
  for (const [system, extension, load] of [
    ['esm', 'mjs', `import * as m from '${entry}';`],
    ['cjs', 'cjs', `const m = require('${entry}');`],
  ]) {
    if (system === 'cjs' && loadsVitest.has(entry)) {
      console.log(`skip run ${entry} (cjs): it loads vitest, which refuses require()`);
      continue;
    }
    const file = join(runs, `${slug(entry)}.${extension}`);
    writeFileSync(
      file,
      `${load}
const print = (...values) => console.log(...values);
async function main() {
${program.code}
}
main().then(
  () => console.error(JSON.stringify(Object.keys(m).filter((name) => name !== 'default' && name !== 'module.exports').sort())),
  (error) => { console.error(error); process.exitCode = 1; },
);
`,
    );
    const result = spawnSync(process.execPath, [file], { cwd: project, encoding: 'utf8', timeout: 30_000 });
    counts.run++;
    const what = `run ${entry} (${system})`;
    const stdout = result.stdout.trim();
    if (result.status !== 0 || stdout !== program.expect) {
      fail(what, `exit ${result.status ?? result.signal}\nexpected:\n${program.expect}\nprinted:\n${stdout}\n${result.stderr}`);
      continue;
    }
    const names = result.stderr.trim().split('\n').at(-1);
    exportedNames[entry] ??= {};
    exportedNames[entry][system] = names;
  }
  const { esm, cjs } = exportedNames[entry] ?? {};
  if (esm && cjs && esm !== cjs) fail(`exports of ${entry}`, `ESM exports ${esm}\nCJS exports ${cjs}`);
}
console.log(`ran ${counts.run} programs (${seconds(phase)})`);

// --- README examples, as ESM and as CJS ----------------------------------------------------------
phase = performance.now();
// Types are stripped with the newest TypeScript that has the compiler API (6.x).
const latest = versions[0].ts;
const readmeRuns = join(project, 'readme');
mkdirSync(readmeRuns);
for (const pkg of packages) {
  const readme = join(root, 'packages', pkg.dir, 'README.md');
  if (!existsSync(readme)) continue;
  let blocks;
  try {
    blocks = extractReadmeBlocks(readFileSync(readme, 'utf8'));
  } catch (error) {
    fail(`README of ${pkg.name}`, String(error));
    continue;
  }
  for (const block of blocks) {
    if (block.notRun !== undefined || block.needs.length > 0) continue;
    for (const system of ['esm', 'cjs']) {
      const what = `README of ${pkg.name}, line ${block.line} (${system})`;
      if (system === 'cjs' && block.code.includes('import.meta')) {
        console.log(`skip ${what}: it uses import.meta, which CommonJS has not`);
        continue;
      }
      // Each block runs in its own directory inside the project (files it writes land there).
      const dir = join(readmeRuns, `${pkg.dir}-${block.line}-${system}`);
      mkdirSync(dir);
      const file = join(dir, `example.${system === 'esm' ? 'mjs' : 'cjs'}`);
      writeFileSync(file, system === 'esm' ? toModule(latest, block.code) : toCommonJs(latest, block.code));
      const result = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      counts.readme++;
      const printed = normalizeOutput(result.stdout);
      if (result.status !== 0 || printed !== block.expected) {
        fail(what, `exit ${result.status ?? result.signal}\nexpected:\n${block.expected}\nprinted:\n${printed}\n${result.stderr}`);
      }
    }
  }
}
console.log(`ran ${counts.readme} README examples (${seconds(phase)})`);
finish();

/** A README block as an ES module: types stripped, nothing else changed. */
function toModule(ts, code) {
  return ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
}

/**
 * A README block as CommonJS: its imports become require() calls and the rest runs inside an
 * async function (CommonJS has no top-level await); `export` modifiers are dropped.
 */
function toCommonJs(ts, code) {
  const source = ts.createSourceFile('example.ts', code, ts.ScriptTarget.ES2022, true);
  const imports = [];
  const body = [];
  for (const statement of source.statements) {
    const trivia = code.slice(statement.pos, statement.getStart(source));
    const text = code.slice(statement.getStart(source), statement.end);
    if (ts.isImportDeclaration(statement)) imports.push(trivia + text);
    else body.push(trivia + text.replace(/^export\s+(?:default\s+)?/, ''));
  }
  const wrapped = `${imports.join('')}
(async () => {
${body.join('')}
})().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
`;
  return ts.transpileModule(wrapped, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
}

function finish() {
  if (!keep) rmSync(scratch, { recursive: true, force: true });
  else console.log(`scratch project kept at ${project}`);
  console.log(
    `consumer check: ${entries.length} entries of ${packages.length} packages, ${counts.typecheck} typechecks, ${counts.run} entry runs, ${counts.readme} README runs, ${failures.length} failed (${seconds(started)})`,
  );
  if (failures.length > 0) {
    console.log(`failed:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  process.exit(0);
}
