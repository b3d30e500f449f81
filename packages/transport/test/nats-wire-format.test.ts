import { UnsupportedVersionError } from '@lattice/core';
import { describe, expect, it } from 'vitest';
import { encodeMessage, MessageDecoder, senderHeader } from '../src/nats/wire-format.js';

describe('NATS message format versions', () => {
  const message = () => encodeMessage(senderHeader('a'), new Uint8Array([1, 2, 3]));

  it('decodes its own version', () => {
    const decoded = new MessageDecoder().decode(message());
    expect(decoded).toEqual({ from: 'a', payload: new Uint8Array([1, 2, 3]) });
  });

  it('a newer version is a problem caused by an UnsupportedVersionError', () => {
    const newer = message();
    newer[1] = 2;
    const decoded = new MessageDecoder().decode(newer) as { problem?: string; cause?: { code?: string; version?: number; supported?: number } };
    expect(decoded.problem).toContain('version 2');
    expect(decoded.cause).toMatchObject({ code: UnsupportedVersionError.code, version: 2, supported: 1 });
  });

  it('version 0 is a problem without that cause', () => {
    const never = message();
    never[1] = 0;
    const decoded = new MessageDecoder().decode(never) as { problem?: string; cause?: unknown };
    expect(decoded.problem).toContain('version 0');
    expect(decoded.cause).toBeUndefined();
  });
});
