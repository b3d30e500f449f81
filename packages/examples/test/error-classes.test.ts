import { describe, expect, it } from 'vitest';
import { codeLiteralProblems, exportedErrorClassProblems, sourceErrorClassProblems } from '../../../scripts/error-classes.js';
import * as collabEditor from '../src/collab-editor/errors.js';
import * as gossipCache from '../src/gossip-cache/errors.js';
import * as kvCluster from '../src/lattice-kv/cluster.js';
import * as latticeKv from '../src/lattice-kv/errors.js';
import * as respClient from '../src/lattice-kv/resp-client.js';
import * as lockService from '../src/lock-service/errors.js';
import * as groupMux from '../src/sharded-kv/group-mux.js';
import * as kvProcess from '../src/sharded-kv/kv-process.js';
import * as shardMachine from '../src/sharded-kv/shard-machine.js';

// The examples are not published, but their errors are what a reader copies: the same house
// form as every package's (a literal name, a static code equal to the instances' code).
describe('error classes', () => {
  it("every error class of the examples has a literal name and a static code equal to its instances' code", () => {
    expect(exportedErrorClassProblems([collabEditor, gossipCache, kvCluster, latticeKv, respClient, lockService, groupMux, kvProcess, shardMachine])).toEqual([]);
  });

  it('every error class in the sources is declared in the house form', () => {
    expect(sourceErrorClassProblems(new URL('../src/', import.meta.url))).toEqual([]);
  });

  it('compares codes against the static constants, never spelled out as string literals (src and test)', () => {
    expect(codeLiteralProblems(new URL('../', import.meta.url))).toEqual([]);
  });
});
