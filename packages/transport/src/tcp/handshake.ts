import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { UnsupportedVersionError } from '@lattice/core';
import { HandshakeError } from './errors.js';

/**
 * The authenticated handshake (both sides prove they hold the cluster secret, and agree on
 * who is talking to whom) — a challenge/response with HMAC-SHA256, so the secret never
 * crosses the wire and a recorded handshake cannot be replayed (fresh nonces each time).
 *
 *   server → client  CHALLENGE serverNonce
 *   client → server  HELLO { from, to, clientNonce, proof = HMAC(secret, "hello" | serverNonce | from | to) }
 *   server → client  WELCOME HMAC(secret, "welcome" | clientNonce | to | from)
 */
export const NONCE_BYTES = 32;
/** Largest handshake frame body accepted, before the peer is authenticated. */
export const MAX_HANDSHAKE_BODY = 2048;

export function newNonce(): Buffer {
  return randomBytes(NONCE_BYTES);
}

export interface Hello {
  from: string;
  to: string;
  clientNonce: Buffer;
  proof: Buffer;
}

function mac(secret: Uint8Array, label: string, nonce: Uint8Array, a: string, b: string): Buffer {
  return createHmac('sha256', secret).update(label).update(nonce).update(`\u0000${a}\u0000${b}`).digest();
}

export function helloProof(secret: Uint8Array, serverNonce: Uint8Array, from: string, to: string): Buffer {
  return mac(secret, 'lattice-tcp-v1 hello', serverNonce, from, to);
}

export function welcomeProof(secret: Uint8Array, clientNonce: Uint8Array, to: string, from: string): Buffer {
  return mac(secret, 'lattice-tcp-v1 welcome', clientNonce, to, from);
}

/** The HELLO format this build writes and the newest it reads. */
const HELLO_VERSION = 1;

export function encodeHello(hello: Hello): Buffer {
  return Buffer.from(
    JSON.stringify({ v: HELLO_VERSION, from: hello.from, to: hello.to, nonce: hello.clientNonce.toString('base64'), proof: hello.proof.toString('base64') }),
  );
}

export function decodeHello(body: Buffer): Hello {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (cause) {
    throw new HandshakeError('Malformed HELLO frame', { cause });
  }
  const value = parsed as Record<string, unknown>;
  const version = typeof value === 'object' && value !== null ? value.v : undefined;
  if (typeof version === 'number' && Number.isSafeInteger(version) && version > HELLO_VERSION) {
    // A peer of a newer release: say so (the cause), rather than call its HELLO malformed.
    throw new HandshakeError(`HELLO of protocol version ${version}; this build speaks version ${HELLO_VERSION}`, {
      cause: new UnsupportedVersionError(version, HELLO_VERSION, 'TCP handshake'),
    });
  }
  if (
    typeof value !== 'object' || value === null || value.v !== HELLO_VERSION ||
    typeof value.from !== 'string' || typeof value.to !== 'string' ||
    typeof value.nonce !== 'string' || typeof value.proof !== 'string'
  ) {
    throw new HandshakeError('HELLO frame lacks from/to/nonce/proof or has an unsupported version');
  }
  const clientNonce = Buffer.from(value.nonce, 'base64');
  if (clientNonce.byteLength !== NONCE_BYTES) throw new HandshakeError('HELLO nonce has the wrong length');
  return { from: value.from, to: value.to, clientNonce, proof: Buffer.from(value.proof, 'base64') };
}

/** Constant-time comparison of two proofs. */
export function proofMatches(expected: Buffer, actual: Buffer): boolean {
  return expected.byteLength === actual.byteLength && timingSafeEqual(expected, actual);
}
