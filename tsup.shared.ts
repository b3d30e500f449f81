import { defineConfig, type Options } from 'tsup';

/** What differs between packages' builds: entries, platform, and rarely anything else. */
export interface LibraryBuild extends Options {
  entry: Record<string, string>;
  /** `neutral` for packages that run anywhere, `node` for Node-only ones. */
  platform: 'neutral' | 'node';
}

/**
 * The one build every publishable package uses (CONVENTIONS.md): ESM `.js` and CJS `.cjs`, with
 * declarations for both, source maps, ES2022. `node:` imports stay as written (unbundled).
 */
export function libraryBuild(build: LibraryBuild): Options {
  return {
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'es2022',
    removeNodeProtocol: false,
    external: [/^node:/],
    ...build,
  };
}

/** `tsup.config.ts` of a package with one build. */
export function defineLibrary(build: LibraryBuild): ReturnType<typeof defineConfig> {
  return defineConfig(libraryBuild(build));
}
