/**
 * `Transport` over TCP for Node: length-prefixed frames, an HMAC challenge/response handshake
 * on the cluster secret, optional mutual TLS, reconnect with jittered exponential backoff and
 * bounded per-peer send queues.
 *
 * @packageDocumentation
 */
export { ConnectionError, FrameError, HandshakeError, SendQueueFullError } from './errors.js';
export type { TcpAddress, TcpTlsOptions, TcpTransportOptions } from './options.js';
export { TcpEndpoint, type TcpEndpointStats, type TcpOpenOptions, TcpTransport } from './tcp-transport.js';
