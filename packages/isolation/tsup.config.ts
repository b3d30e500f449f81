import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.shared.ts';

export default defineConfig([
  libraryBuild({ entry: { index: 'src/index.ts' }, platform: 'neutral' }),
  // The CLI: Node only, ESM, not an exports entry (package.json "bin").
  libraryBuild({ entry: { cli: 'src/cli.ts' }, platform: 'node', format: ['esm'], dts: false, clean: false }),
]);
