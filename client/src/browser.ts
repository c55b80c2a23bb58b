/**
 * @tdbroker/client/browser: the client for a web page, loaded as ES modules
 * with no bundler. The same client as in Node over the browser's own
 * WebSocket (ws:// and wss://); it imports no node: module and no package.
 * Uploads take bytes or streams (a page has no file paths); the tdl face,
 * whose default login reads a terminal, is Node's only.
 */
export { BrokerClient, type ClientOptions, type ClientState, type RequestOptions, type UpdatesLost, type BrokerClientEvents } from './client.js'
export { BrokerSession, type BrokerSessionEvents, type UpdateIteratorOptions } from './session.js'
export { TdError, ConnectionLostError, RequestTimeoutError, RequestAbortedError, ClientClosedError, UpdateOverflowError } from './errors.js'
export { uploadFile, readFile, type UploadedFile, type FileSource, type UploadOptions, type ReadOptions } from './files.js'
export { login, type LoginDetails, type UserLoginDetails, type BotLoginDetails } from './login.js'
export { BROKER_ERROR_NAMES, type SessionInfo, type ResumeInfo, type BrokerVersion, type WireObject } from './protocol.js'
export { BROWSER_PLATFORM } from './transport-browser.js'
export type { ConnectTarget, Platform, Transport, TransportEvents, TransportOpener } from './transport.js'
export type { BackoffOptions } from './backoff.js'
export type { Td, Wire, Request, RequestName, Result, Update } from './types.js'

import { BrokerClient, type ClientOptions } from './client.js'
import { BROWSER_PLATFORM } from './transport-browser.js'

/** Connects to a broker over the browser's WebSocket: `await connect({ url: 'wss://broker.example/tdbroker' })`. */
export async function connect (options: Omit<ClientOptions, 'tls'>): Promise<BrokerClient> {
  return await BrokerClient.connect({ platform: BROWSER_PLATFORM, ...options })
}
