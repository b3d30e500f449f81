/**
 * The `--name=value` flags a node process takes beyond its positional arguments, written by the
 * launcher (`cluster.ts`) and read by `node.ts`, so the two cannot drift apart.
 */
import { InvalidArgumentError } from '@lattice/core';

/** What the flags set. */
export interface KvNodeFlags {
  snapshotEvery?: number;
  httpPort?: number;
  httpPeers?: Record<string, string>;
  nats?: { url: string; cluster: string };
}

/** The flags for `flags`, as `--name=value` arguments. */
export function kvNodeFlagArgs(flags: KvNodeFlags): string[] {
  const args: string[] = [];
  if (flags.snapshotEvery !== undefined) args.push(`--snapshot-every=${flags.snapshotEvery}`);
  if (flags.httpPort !== undefined) args.push(`--http=${flags.httpPort}`);
  if (flags.httpPeers !== undefined) args.push(`--http-peers=${Object.entries(flags.httpPeers).map(([id, address]) => `${id}=${address}`).join(',')}`);
  if (flags.nats !== undefined) args.push(`--nats-url=${flags.nats.url}`, `--nats-cluster=${flags.nats.cluster}`);
  return args;
}

/** Reads the flags back from a node process's arguments; a malformed one is an `InvalidArgumentError`. */
export function parseKvNodeFlags(args: readonly string[]): KvNodeFlags {
  const value = (name: string) => args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  const count = (name: string, min: number): number | undefined => {
    const text = value(name);
    if (text === undefined) return undefined;
    const parsed = Number(text);
    if (!Number.isSafeInteger(parsed) || parsed < min) throw new InvalidArgumentError(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(text)}`);
    return parsed;
  };
  const flags: KvNodeFlags = {};
  const snapshotEvery = count('snapshot-every', 0);
  if (snapshotEvery !== undefined) flags.snapshotEvery = snapshotEvery;
  const httpPort = count('http', 0);
  if (httpPort !== undefined) flags.httpPort = httpPort;
  const httpPeers = value('http-peers');
  if (httpPeers !== undefined) flags.httpPeers = parsePeerList(httpPeers, '--http-peers');
  const natsUrl = value('nats-url');
  if (natsUrl !== undefined) flags.nats = { url: natsUrl, cluster: value('nats-cluster') ?? 'lattice-kv' };
  return flags;
}

/** Parses `a=host:port,b=host:port`. */
export function parsePeerList(text: string, what: string): Record<string, string> {
  const peers: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0 || at === pair.length - 1) throw new InvalidArgumentError(`${what} takes id=host:port,…, got ${JSON.stringify(pair)}`);
    peers[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return peers;
}
