/**
 * `Transport` over NATS for Node: endpoints exchange messages through a NATS server or cluster
 * (core publish/subscribe, at most once), on subjects `<prefix>.<cluster>.<node>`. The NATS
 * client (`@nats-io/transport-node`) is an optional peer dependency, loaded on the first
 * `open`; this entry itself imports nothing from it.
 *
 * @packageDocumentation
 */
export type { NatsConnectionLike, NatsConnectOptions, NatsMessageLike, NatsStatusLike, NatsSubscriptionLike } from './connection.js';
export { NatsClientMissingError, type NatsConnectionEvent, NatsConnectionError, NatsMessageError } from './errors.js';
export { NatsEndpoint, NatsTransport } from './nats-transport.js';
export type { NatsTransportOptions } from './options.js';
export { subjectToken } from './subjects.js';
