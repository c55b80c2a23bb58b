/**
 * @tdbroker/client: a typed client for tdbroker (docs/protocol.md), with no
 * TDLib of its own. See client/README.md. This is the Node entry (TCP, TLS,
 * WebSocket, local files, the tdl face); '@tdbroker/client/browser' is the
 * browser's (WebSocket only, no node: module).
 */
export { BrokerClient, type ClientOptions, type ClientState, type RequestOptions, type UpdatesLost, type BrokerClientEvents } from './client.js'
export { BrokerSession, type BrokerSessionEvents, type UpdateIteratorOptions } from './session.js'
export { TdError, ConnectionLostError, RequestTimeoutError, RequestAbortedError, ClientClosedError, UpdateOverflowError } from './errors.js'
export { uploadFile, readFile, type UploadedFile, type FileSource, type UploadOptions, type ReadOptions } from './files.js'
export { login, type LoginDetails, type UserLoginDetails, type BotLoginDetails } from './login.js'
export { linePrompt, type LinePrompt } from './prompt.js'
export { createClient, TdlClient, renameDeep, type TdlClientOptions, type TdlLoginDetails } from './tdl.js'
export { BROKER_ERROR_NAMES, type SessionInfo, type ResumeInfo, type BrokerVersion, type WireObject } from './protocol.js'
export { NODE_PLATFORM } from './transport-node.js'
export type { ConnectTarget, TlsOptions, Platform, Transport, TransportEvents, TransportOpener } from './transport.js'
export type { BackoffOptions } from './backoff.js'
export type { Td, Wire, Request, RequestName, Result, Update } from './types.js'

import { BrokerClient, type ClientOptions } from './client.js'
import { NODE_PLATFORM } from './transport-node.js'

/** Connects to a broker: `await connect({ url: 'tcp://localhost:23456' })`. */
export async function connect (options: ClientOptions): Promise<BrokerClient> {
  return await BrokerClient.connect({ platform: NODE_PLATFORM, ...options })
}
