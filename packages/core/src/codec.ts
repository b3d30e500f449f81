import { assertFunction, assertOptionalObject, isBytes } from './arguments.js';
import { DecodeError, InvalidArgumentError } from './errors.js';

/** Turns values into bytes and back. `decode` throws a `DecodeError` on bytes it cannot read. */
export interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

/** Options of {@link jsonCodec}. */
export interface JsonCodecOptions<T> {
  /** Checks a decoded value's shape; returning false makes `decode` throw a `DecodeError`. */
  validate?: (value: unknown) => value is T;
}

/**
 * UTF-8 JSON. Without `validate`, decoded values are trusted to have type `T`.
 *
 * @example
 * ```ts
 * const codec = jsonCodec({ validate: (v): v is { n: number } => typeof (v as any)?.n === 'number' });
 * codec.decode(codec.encode({ n: 1 })); // { n: 1 }
 * ```
 */
export function jsonCodec<T>(options: JsonCodecOptions<T> = {}): Codec<T> {
  assertOptionalObject(options, 'jsonCodec options');
  const { validate } = options;
  if (validate !== undefined) assertFunction(validate, 'jsonCodec options.validate');
  const encoder = new TextEncoder();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  return {
    encode(value) {
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch (cause) {
        // A BigInt or a cycle: JSON cannot hold it.
        throw new InvalidArgumentError('Value cannot be encoded as JSON', { cause });
      }
      // undefined, a function or a symbol: JSON.stringify returns undefined, which would be sent as the text "undefined".
      if (text === undefined) throw new InvalidArgumentError(`Value cannot be encoded as JSON: ${typeof value}`);
      return encoder.encode(text);
    },
    decode(bytes) {
      if (!isBytes(bytes)) throw new DecodeError(`Invalid JSON message: expected a Uint8Array, got ${typeof bytes}`);
      let value: unknown;
      try {
        value = JSON.parse(decoder.decode(bytes));
      } catch (cause) {
        throw new DecodeError(`Invalid JSON message (${bytes.byteLength} bytes)`, { cause });
      }
      if (validate !== undefined && !validate(value)) {
        throw new DecodeError('JSON message does not have the expected shape');
      }
      return value as T;
    },
  };
}
