/**
 * The effective settings, after validation, defaults and path resolution.
 * Field names follow settings.json (and siptg/storage's) exactly.
 */
import type { ClusterSettings } from '../cluster/settings.js'

export type ProxySettings =
  | { type: 'socks5'; host: string; port: number; username?: string; password?: string }
  | { type: 'http'; host: string; port: number; username?: string; password?: string; http_only: boolean }
  | { type: 'mtproto'; host: string; port: number; secret: string }

export interface TdlibSettings {
  api_id?: number
  api_hash?: string
  /** Absolute path of the folder that holds one sub-folder per session. */
  path: string
  /** TDLib's own verbosity, 0 (fatal) to 4 (debug). */
  debug_level: number
  proxy?: ProxySettings
  /** `tdlib` (real TDLib) or `sandbox` (the emulated Telegram). */
  backend: 'tdlib' | 'sandbox'
  /** Seed file of the sandbox world (absolute path); unset means the built-in demo world. */
  sandbox_world?: string
  /** The key TDLib's databases are encrypted with (resolved from a string, env or file); unset: no encryption. */
  database_encryption_key?: string
  /** The key folders may still be encrypted with, during a rotation. */
  previous_database_encryption_key?: string
}

export interface MysqlSettings {
  host: string
  port: number
  user: string
  password: string
  database: string
  charset: string
  read_timeout: number
  debug: boolean
  /** Seconds between backups of a running session; 0: only at login and at a clean stop. */
  backup_interval: number
  ssl?: { key?: string; cert?: string; ca?: string }
}

/** The broker's own TLS listener (node:tls), for deployments without nginx in front. */
export interface TlsSettings {
  /** Address to listen on; default "::" (all addresses, IPv4 and IPv6). */
  host: string
  port: number
  /** Absolute paths (resolved against the settings folder). */
  cert: string
  key: string
  /** CA bundle, or a pinned self-signed certificate, that client certificates must chain to. */
  ca?: string
  /** Refuse clients without a valid certificate during the handshake. Default true (needs `ca`). */
  verify_clients: boolean
  /** Log a warning when a certificate expires within this many days. Default 30. */
  expiry_warning_days: number
  /** Start even when a certificate has expired. Default false. */
  allow_expired: boolean
}

/** WebSocket transport (ws): the same protocol, one JSON object per message. */
export interface WebSocketSettings {
  host: string
  port: number
  /** URL path that accepts upgrades. Default "/". */
  path: string
  /** Serve over HTTPS using the certificate, key and client-CA of the `tls` section. Default false. */
  tls: boolean
  /** Origins a browser may connect from (exact "scheme://host[:port]"); a request with any other Origin gets 403. Default none. */
  allowed_origins: readonly string[]
}

export interface Settings {
  /** Absolute path of the settings file, or undefined for the embedded defaults. */
  file?: string
  /** Absolute folder that relative paths resolved against. */
  base_dir: string
  logfile?: string
  debug_level: number
  terminate_delay: number
  host: string
  port: number
  offline: boolean
  tdlib: TdlibSettings
  allowed_updates: readonly string[]
  allowed_requests: readonly string[]
  request_peers: Readonly<Record<string, readonly string[]>>
  format_fields: Readonly<Record<string, readonly string[]>>
  format_markdown: boolean
  mysql?: MysqlSettings
  /** Several broker nodes on NATS JetStream (docs/cluster.md); unset: one broker alone. */
  cluster?: ClusterSettings
  /** Longest accepted line from a client, in bytes. */
  max_frame_size: number
  /** Bytes a connection may have waiting to be written before it is closed as too slow. */
  max_client_queue: number
  /** Requests a connection may have in flight before the broker stops reading from it. */
  max_pending_requests: number
  /** Permit the plain TCP listener on a non-loopback address (it has no authentication). Default false. */
  allow_public_plain: boolean
  /** Seconds a username or phone number resolution is reused (0: never cached). */
  resolve_cache_ttl: number
  tls?: TlsSettings
  websocket?: WebSocketSettings
  /** Clients that may connect, with their credentials and scopes; unset: every connection is trusted (docs/clients.md). */
  clients?: readonly ClientSettings[]
  /** Updates kept per session for lossless resume (broker.attachSession with last_seq). Default 1000. */
  update_buffer_size: number
  /** Seconds an update stays in that buffer. Default 600. */
  update_buffer_age: number
  /** Absolute path of the JSON-lines audit file; unset: audit records go to the log only. */
  audit_file?: string
  /** Absolute folders whose files clients may name in inputFileLocal (policy/local-files.ts); default none. */
  local_files: readonly string[]
  /** Largest broker.uploadFile, in decoded bytes. */
  max_upload_size: number
  /** Largest file broker.uploadFile builds from parts (append_to), in bytes. */
  max_upload_file_size: number
  /** Largest broker.readFile count, in bytes. */
  max_read_size: number
  /** Seconds a connection has to authenticate when `clients` are set (0: no deadline). Default 10. */
  auth_timeout: number
  /** Longest line (or WebSocket message) before authentication, in bytes. Default 65536. */
  max_frame_size_unauthenticated: number
  /** Open connections over all listeners. Default 10000. */
  max_connections: number
  /** Open connections from one remote address. Default 256. */
  max_connections_per_address: number
  /** Seconds a connection attached to no session may stay silent (0: forever). Default 300. */
  idle_timeout: number
  /** The plain listener reads a PROXY protocol header (v1 or v2) from trusted peers. Default false. */
  proxy_protocol: boolean
  /** Addresses or CIDR ranges whose PROXY headers are believed, besides loopback. */
  proxy_protocol_trusted: readonly string[]
  /** The Bot API gateway (docs/bot-api.md); unset: no HTTP listener. */
  bot_api?: BotApiSettings
  /** The admin HTTP listener (/metrics, /healthz, /readyz); unset: none. */
  admin?: AdminSettings
  /** Answer requests of a type a session is under a FLOOD_WAIT for without sending them to TDLib. Default false. */
  flood_wait_guard: boolean
}

/** The Bot API gateway: its HTTP listener and the consumers its tokens stand for. */
export interface BotApiSettings {
  /** Default "localhost". */
  host: string
  port: number
  /** Serve HTTPS with the certificate and key of the `tls` section (no client certificates: tokens authenticate). Default false. */
  tls: boolean
  /** Updates kept per consumer until confirmed; the oldest are dropped beyond it. Default 1000. */
  max_queue: number
  /** Largest multipart/form-data body (file uploads: sendDocument, sendPhoto), in bytes; 1 MiB to 50 MiB. Default 20 MiB. */
  max_upload_size: number
  consumers: readonly BotApiConsumerSettings[]
}

/** One Bot API token: a consumer of one bot session, with the scope of one `clients` entry. */
export interface BotApiConsumerSettings {
  name: string
  /** The bot's user id, the token's prefix. */
  bot_id: number
  /** The bot session it is tied to. */
  session: string
  /** The `clients` entry whose scope applies. */
  client: string
  /** scrypt hash of the token, as `tdbroker bot-token add` prints it. */
  token_hash: string
  /** Host names (or addresses) its setWebhook URLs may name; empty: no webhook. Default []. */
  webhook_hosts: readonly string[]
  /** Webhook URLs may be http:// (not only https://). Default false. */
  webhook_allow_http: boolean
  /** A consumer group: several instances poll with this token and share its queue (docs/bot-api.md). Default false. */
  group: boolean
  /** Seconds a group instance may stay without a getUpdates before its chats go to the others. Default 15. */
  group_handover_timeout: number
}

/** The admin HTTP listener (docs/operations.md). */
export interface AdminSettings {
  host: string
  port: number
  /** Bearer token every request must carry (a secret); absent: none. */
  token?: string
  /** Seconds a session may stay starting before /readyz reports it stuck. Default 60. */
  starting_limit: number
  /** Serve HTTPS with the certificate and key of the `tls` section. Default false. */
  tls: boolean
}

/** A token bucket: `requests_per_second` sustained, up to `burst` at once (default: one second's worth, at least 1). */
export interface BucketSettings {
  requests_per_second: number
  burst?: number
}

/** A client's rate limits: overall (when requests_per_second is set) and per request type. */
export interface RateLimitSettings {
  requests_per_second?: number
  burst?: number
  per_type?: Readonly<Record<string, BucketSettings>>
}

/** What a client may see and do; every list only narrows the global one (docs/clients.md). */
export interface ClientScopeSettings {
  /** Absent: the global allowed_requests. */
  allowed_requests?: readonly string[]
  /** Absent: the global allowed_updates. */
  allowed_updates?: readonly string[]
  /** Sessions it may list and attach: every one, those it created, or these ids. Default "all". */
  sessions: 'all' | 'own' | readonly string[]
  /** May it create sessions? Default true. */
  may_create_sessions: boolean
  /** Chats it may act on and hear about; absent: every chat. */
  chats?: readonly number[]
  /** Absolute folders it may name local files from, within the global local_files; absent: the global list. */
  local_files?: readonly string[]
  /** Login requests and the full login flow; absent: allowed unless `chats` is set. */
  login?: boolean
  /** Account-wide requests (proxies, network type, close, destroy, logOut); absent: not allowed. */
  account?: boolean
  /** Option names setOption may set; absent: none with `chats`, else all but the reserved ones. */
  options?: readonly string[]
  /** Token buckets for its requests; absent: no limit. */
  rate_limit?: RateLimitSettings
}

/** One entry of `clients`. */
export interface ClientSettings {
  name: string
  /** scrypt hash of its key, as `tdbroker client add` prints it. */
  key_hash?: string
  /** A TLS client certificate that identifies it. */
  certificate?: { fingerprint256?: string, subject_cn?: string }
  scope: ClientScopeSettings
}
