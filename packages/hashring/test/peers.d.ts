declare module 'murmurhash3js-revisited' {
  const murmur: { x86: { hash32(bytes: Uint8Array, seed?: number): number } };
  export default murmur;
}
declare module 'hashring' {
  class HashRing {
    constructor(servers?: unknown, algorithm?: string, options?: Record<string, unknown>);
    get(key: string): string | undefined;
    range(key: string, size?: number, unique?: boolean): string[];
    add(servers: unknown): this;
    remove(server: string): this;
  }
  export default HashRing;
}
declare module 'consistent-hash' {
  class ConsistentHash {
    constructor(options?: Record<string, unknown>);
    add(node: string, n?: number): this;
    remove(node: string): this;
    get(key: string): string | null;
  }
  export default ConsistentHash;
}
