// The npm `vectorclock` package ships no types; these cover what the benchmark calls.
declare module 'vectorclock' {
  type Clock = Record<string, number>;
  const vectorclock: {
    increment(clock: Clock, node: string): Clock;
    merge(a: Clock, b: Clock): Clock;
    compare(a: Clock, b: Clock): -1 | 0 | 1;
  };
  export default vectorclock;
}
