import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: "src/index.ts", node: "src/node/index.ts" },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  platform: 'neutral',
  // The Node-only entry imports `node:` builtins: leave them as written, unbundled.
  removeNodeProtocol: false,
  external: [/^node:/],
});
