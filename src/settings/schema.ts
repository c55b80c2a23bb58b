/**
 * The one JSON Schema (draft-07, compiled by ajv 8 with `useDefaults`) that
 * settings.json must satisfy. Defaults live here and nowhere else.
 *
 * Option names and defaults follow siptg/storage so its settings files load
 * unchanged; the options marked "tdbroker" below are our own additions.
 * docs/settings.md documents every option, and a test keeps it in step.
 *
 * To add an option: add it to the section constant it belongs to (or a new
 * section constant referenced from `settingsSchema.properties`), then add its
 * row to docs/settings.md and its field to types.ts. Every object is closed
 * (`additionalProperties: false`) because a misspelt key that is silently
 * ignored is worse than a refusal to start.
 *
 * `x-rule` is an annotation of ours (registered in validate.ts): plain words
 * for the operator where ajv's would mean nothing to them. On a value schema
 * it says what the value must be ("must start with "/""); on a conditional
 * `then` it says why a key is required there.
 */

import { secretSourceSchema } from './secret.js'
import { clusterSchema } from '../cluster/settings.js'

const port = (min: number) => ({ type: 'integer', minimum: min, maximum: 65535 })
const nonEmptyString = { type: 'string', minLength: 1 }
const stringList = { type: 'array', items: nonEmptyString, default: [] }

/** One field name, or a list of them, per TDLib type: request_peers and format_fields. */
const fieldMap = (minItems: number) => ({
  type: 'object',
  additionalProperties: {
    anyOf: [nonEmptyString, { type: 'array', items: nonEmptyString, minItems }],
    'x-rule': `must be a field name or ${minItems > 0 ? 'a non-empty' : 'an'} array of field names`,
  },
  default: {},
})

/** tdlib/proxy: exactly one of three shapes, chosen by `type`. */
export const proxySchema = {
  type: 'object',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: [
    {
      properties: {
        type: { const: 'socks5' },
        host: nonEmptyString,
        port: port(1),
        username: { type: 'string' },
        password: { type: 'string' },
      },
      required: ['host', 'port'],
      additionalProperties: false,
    },
    {
      properties: {
        type: { const: 'http' },
        host: nonEmptyString,
        port: port(1),
        username: { type: 'string' },
        password: { type: 'string' },
        http_only: { type: 'boolean', default: false },
      },
      required: ['host', 'port'],
      additionalProperties: false,
    },
    {
      properties: {
        type: { const: 'mtproto' },
        host: nonEmptyString,
        port: port(1),
        secret: {
          type: 'string',
          pattern: '^(?:[0-9a-fA-F]{2}){16,}$',
          'x-rule': 'must be the secret in hexadecimal: an even number of hex digits, at least 32',
        },
      },
      required: ['host', 'port', 'secret'],
      additionalProperties: false,
    },
  ],
}

export const tdlibSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    api_id: { type: 'integer', minimum: 1 },
    api_hash: nonEmptyString,
    path: { ...nonEmptyString, default: 'sessions' },
    debug_level: { type: 'integer', minimum: 0, maximum: 4, default: 0 },
    proxy: proxySchema,
    // tdbroker: run sessions against the emulated Telegram instead of TDLib.
    backend: { enum: ['tdlib', 'sandbox'], default: 'tdlib' },
    sandbox_world: nonEmptyString,
    // tdbroker: encrypt TDLib's databases (and seal MySQL backups) at rest; docs/storage.md.
    database_encryption_key: secretSourceSchema,
    previous_database_encryption_key: secretSourceSchema,
  },
  default: {},
}

export const mysqlSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['host', 'user', 'database'],
  properties: {
    host: nonEmptyString,
    port: { ...port(1), default: 3306 },
    user: nonEmptyString,
    password: { type: 'string', default: '' },
    database: nonEmptyString,
    charset: { ...nonEmptyString, default: 'utf8' },
    read_timeout: { type: 'number', minimum: 0, default: 0 },
    debug: { type: 'boolean', default: false },
    // tdbroker: back running sessions up this often, seconds (0: only at login and clean stop).
    backup_interval: { type: 'number', minimum: 0, default: 3600 },
    ssl: {
      type: 'object',
      additionalProperties: false,
      properties: { key: nonEmptyString, cert: nonEmptyString, ca: nonEmptyString },
    },
  },
}

/** tdbroker: the broker's own TLS listener. */
export const tlsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['port', 'cert', 'key'],
  properties: {
    host: { ...nonEmptyString, default: '::' },
    port: port(0),
    cert: nonEmptyString,
    key: nonEmptyString,
    ca: nonEmptyString,
    verify_clients: { type: 'boolean', default: true },
    expiry_warning_days: { type: 'integer', minimum: 0, default: 30 },
    allow_expired: { type: 'boolean', default: false },
  },
  // An absent verify_clients means its default, true, so it needs a CA too.
  if: { properties: { verify_clients: { const: true } } },
  then: {
    required: ['ca'],
    'x-rule': 'verify_clients is true, so client certificates need a CA to be checked against',
  },
}

/** tdbroker: the WebSocket transport. */
export const websocketSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['port'],
  properties: {
    host: { ...nonEmptyString, default: 'localhost' },
    port: port(0),
    path: { type: 'string', pattern: '^/', default: '/', 'x-rule': 'must be a URL path starting with "/"' },
    tls: { type: 'boolean', default: false },
    allowed_origins: { type: 'array', items: nonEmptyString, default: [] },
  },
}

/** tdbroker: the admin HTTP listener (/metrics, /healthz, /readyz; docs/operations.md). */
export const adminSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['port'],
  properties: {
    host: { ...nonEmptyString, default: 'localhost' },
    port: port(0),
    // A bearer token every request must carry; absent: none (keep the listener on loopback then).
    token: { type: 'string', minLength: 16, 'x-rule': 'must be at least 16 characters (e.g. openssl rand -hex 32)' },
    // Seconds a session may stay starting before /readyz calls it stuck.
    starting_limit: { type: 'number', minimum: 1, default: 60 },
    // HTTPS with the tls section's certificate and key (the broker's own certificate machinery).
    tls: { type: 'boolean', default: false },
  },
}

/** tdbroker: one token bucket: a sustained rate and the burst it may save up. */
const bucketSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['requests_per_second'],
  properties: {
    requests_per_second: { type: 'number', exclusiveMinimum: 0 },
    burst: { type: 'integer', minimum: 1 },
  },
}

/** tdbroker: a client's rate limits (src/limits/rate-limiter.ts). */
const rateLimitSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...bucketSchema.properties,
    per_type: { type: 'object', additionalProperties: bucketSchema },
  },
  // A burst alone would have no rate to refill at.
  dependencies: { burst: ['requests_per_second'] },
}

/** tdbroker: one entry of `clients`, a client allowed to connect (docs/clients.md). */
export const clientSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: {
      type: 'string',
      pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
      'x-rule': 'must be 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit',
    },
    key_hash: {
      type: 'string',
      pattern: '^scrypt\\$N=[0-9]{1,8},r=[0-9]{1,3},p=[0-9]{1,3}\\$[A-Za-z0-9_-]{16,128}\\$[A-Za-z0-9_-]{32,128}$',
      'x-rule': 'must be a key hash as "tdbroker client add" prints it (scrypt$N=...,r=...,p=...$salt$hash)',
    },
    certificate: {
      type: 'object',
      additionalProperties: false,
      properties: {
        fingerprint256: {
          type: 'string',
          pattern: '^[0-9A-Fa-f]{2}(:?[0-9A-Fa-f]{2}){31}$',
          'x-rule': 'must be a SHA-256 fingerprint: 32 hexadecimal byte pairs, optionally separated by ":"',
        },
        subject_cn: nonEmptyString,
      },
      anyOf: [{ required: ['fingerprint256'] }, { required: ['subject_cn'] }],
      'x-rule': 'must name fingerprint256 or subject_cn',
    },
    scope: {
      type: 'object',
      additionalProperties: false,
      properties: {
        // No default: absent means the global list, unchanged.
        allowed_requests: { type: 'array', items: nonEmptyString },
        allowed_updates: { type: 'array', items: nonEmptyString },
        sessions: {
          anyOf: [
            { enum: ['all', 'own'] },
            { type: 'array', items: { type: 'string', pattern: '^[1-9][0-9]{0,19}$' } },
          ],
          default: 'all',
          'x-rule': 'must be "all", "own" or a list of session ids (strings of decimal digits)',
        },
        may_create_sessions: { type: 'boolean', default: true },
        chats: { type: 'array', items: { type: 'integer' } },
        // No default: absent means the global local_files, unchanged.
        local_files: { type: 'array', items: nonEmptyString },
        // No defaults: absent depends on chats (src/policy/scope.ts).
        login: { type: 'boolean' },
        account: { type: 'boolean' },
        options: { type: 'array', items: nonEmptyString },
        rate_limit: rateLimitSchema,
      },
      default: {},
    },
  },
  allOf: [{
    anyOf: [{ required: ['key_hash'] }, { required: ['certificate'] }],
    'x-rule': 'needs key_hash or certificate, or the client could never prove who it is',
  }],
}

/** tdbroker: the Bot API gateway (docs/bot-api.md): an HTTP listener and its consumers. */
export const botApiSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['port'],
  properties: {
    host: { ...nonEmptyString, default: 'localhost' },
    port: port(0),
    tls: { type: 'boolean', default: false },
    max_queue: { type: 'integer', minimum: 1, maximum: 100000, default: 1000 },
    max_upload_size: { type: 'integer', minimum: 1048576, maximum: 52428800, default: 20971520 },
    consumers: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'bot_id', 'session', 'client', 'token_hash'],
        properties: {
          name: clientSchema.properties.name,
          bot_id: { type: 'integer', minimum: 1 },
          session: { type: 'string', pattern: '^[1-9][0-9]{0,19}$', 'x-rule': 'must be a session id (a string of decimal digits)' },
          client: clientSchema.properties.name,
          token_hash: clientSchema.properties.key_hash,
          webhook_hosts: { type: 'array', items: nonEmptyString, default: [] },
          webhook_allow_http: { type: 'boolean', default: false },
          group: { type: 'boolean', default: false },
          group_handover_timeout: { type: 'number', minimum: 1, maximum: 3600, default: 15 },
        },
      },
    },
  },
}

/** The whole settings file. */
export const settingsSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  properties: {
    logfile: nonEmptyString,
    debug_level: { type: 'integer', minimum: 0, maximum: 6, default: 4 },
    terminate_delay: { type: 'number', minimum: 0, default: 0 },
    host: { ...nonEmptyString, default: 'localhost' },
    port: { ...port(0), default: 0 },
    offline: { type: 'boolean', default: false },
    tdlib: tdlibSchema,
    allowed_updates: stringList,
    allowed_requests: stringList,
    request_peers: fieldMap(1),
    format_fields: fieldMap(0),
    format_markdown: { type: 'boolean', default: true },
    mysql: mysqlSchema,
    cluster: clusterSchema,
    // tdbroker additions from here on.
    max_frame_size: { type: 'integer', minimum: 1024, default: 1048576 },
    max_client_queue: { type: 'integer', minimum: 65536, default: 8388608 },
    max_pending_requests: { type: 'integer', minimum: 1, default: 4096 },
    allow_public_plain: { type: 'boolean', default: false },
    resolve_cache_ttl: { type: 'number', minimum: 0, default: 3600 },
    tls: tlsSchema,
    websocket: websocketSchema,
    clients: { type: 'array', items: clientSchema },
    update_buffer_size: { type: 'integer', minimum: 0, maximum: 1000000, default: 1000 },
    update_buffer_age: { type: 'number', minimum: 0, default: 600 },
    audit_file: nonEmptyString,
    local_files: stringList,
    max_upload_size: { type: 'integer', minimum: 1, default: 786432 },
    max_upload_file_size: { type: 'integer', minimum: 1, default: 52428800 },
    max_read_size: { type: 'integer', minimum: 1, default: 786432 },
    // Connection limits (docs/settings.md, "Connection limits").
    auth_timeout: { type: 'number', minimum: 0, default: 10 },
    max_frame_size_unauthenticated: { type: 'integer', minimum: 1024, default: 65536 },
    max_connections: { type: 'integer', minimum: 1, default: 10000 },
    max_connections_per_address: { type: 'integer', minimum: 1, default: 256 },
    idle_timeout: { type: 'number', minimum: 0, default: 300 },
    proxy_protocol: { type: 'boolean', default: false },
    proxy_protocol_trusted: { type: 'array', items: nonEmptyString, default: [] },
    bot_api: botApiSchema,
    admin: adminSchema,
    flood_wait_guard: { type: 'boolean', default: false },
  },
  // websocket/tls and admin/tls serve HTTPS with the tls section's certificate and key.
  allOf: ['websocket', 'admin'].map(section => ({
    if: {
      properties: { [section]: { type: 'object', properties: { tls: { const: true } }, required: ['tls'] } },
      required: [section],
    },
    then: {
      required: ['tls'],
      'x-rule': `${section}/tls is true, and HTTPS takes its certificate and key from the tls section`,
    },
  })),
}
