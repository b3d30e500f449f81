// The one global declaration the published types carry.
//
// Long-lived objects (endpoints, transports, logs) have `[Symbol.asyncDispose]()`. TypeScript
// types that symbol only under `lib: esnext.disposable` (5.2+) or with `@types/node`, so a
// browser project (`lib: ["ES2022", "DOM"]`, no `@types/node`) could not compile our
// declarations without `skipLibCheck`. This is the declaration `@types/node` ships for the same
// reason, word for word, so it merges with theirs and with TypeScript's lib instead of
// conflicting. It declares the symbol only: no `Disposable`, no `DisposableStack`, nothing a
// runtime might lack besides the symbol itself, which every runtime Lattice supports has.
declare global {
  interface SymbolConstructor {
    readonly asyncDispose: unique symbol;
  }
}

export {};
