/**
 * The PROXY protocol (haproxy's spec, v1 text and v2 binary): a proxy such
 * as nginx (`proxy_protocol on;`) writes one header at the very start of the
 * connection naming the client's own address. Without it every client
 * behind the proxy has the proxy's address, and the per-address limits and
 * the authentication throttle would treat them all as one.
 *
 * A header is believed only from trusted peers (loopback and
 * proxy_protocol_trusted); from anyone else the bytes are not looked at, so
 * they reach the protocol parser like any other line (and get MALFORMED_JSON).
 */
import net from 'node:net'
import type { Socket } from 'node:net'
import { isLoopback } from './listen.js'

const V1_PREFIX = Buffer.from('PROXY ', 'latin1')
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a])
/** The v1 spec's longest header, CRLF included. */
const V1_MAX = 107
/** v2 headers may carry TLVs; nginx sends none. More than this is not a header we want to hold. */
const V2_MAX_BODY = 1024
/** How long a trusted peer has to send its header. */
export const HEADER_TIMEOUT_MS = 10_000

/** What the first bytes of a connection are. */
export type HeaderParse =
  | { kind: 'incomplete' }
  | { kind: 'none' }
  | { kind: 'invalid', reason: string }
  /** `source` is undefined for v1 UNKNOWN, v2 LOCAL and v2 families other than TCP over IPv4/IPv6. */
  | { kind: 'header', length: number, source?: { address: string, port: number } }

/** Reads a PROXY header at the start of `data`, if there is one. */
export function parseProxyHeader (data: Buffer): HeaderParse {
  if (startsLike(data, V1_PREFIX)) return data.length < V1_PREFIX.length ? { kind: 'incomplete' } : parseV1(data)
  if (startsLike(data, V2_SIGNATURE)) return data.length < V2_SIGNATURE.length ? { kind: 'incomplete' } : parseV2(data)
  return { kind: 'none' }
}

/** True when `data` and `prefix` agree on their common length. */
function startsLike (data: Buffer, prefix: Buffer): boolean {
  const n = Math.min(data.length, prefix.length)
  return data.subarray(0, n).equals(prefix.subarray(0, n))
}

function parseV1 (data: Buffer): HeaderParse {
  const end = data.indexOf('\r\n', 0, 'latin1')
  if (end === -1) return data.length >= V1_MAX ? { kind: 'invalid', reason: 'a v1 header longer than 107 bytes' } : { kind: 'incomplete' }
  if (end + 2 > V1_MAX) return { kind: 'invalid', reason: 'a v1 header longer than 107 bytes' }
  const parts = data.toString('latin1', 0, end).split(' ')
  const length = end + 2
  if (parts[1] === 'UNKNOWN') return { kind: 'header', length }
  if (parts.length !== 6 || (parts[1] !== 'TCP4' && parts[1] !== 'TCP6')) return { kind: 'invalid', reason: 'a v1 header that is not "PROXY TCP4|TCP6 src dst sport dport"' }
  const [, family, source, , sourcePort] = parts as [string, string, string, string, string, string]
  const port = Number(sourcePort)
  if (net.isIP(source) !== (family === 'TCP4' ? 4 : 6) || !/^\d{1,5}$/.test(sourcePort) || port > 65535) {
    return { kind: 'invalid', reason: 'a v1 header with a malformed source address or port' }
  }
  return { kind: 'header', length, source: { address: source, port } }
}

function parseV2 (data: Buffer): HeaderParse {
  if (data.length < 16) return { kind: 'incomplete' }
  const versionCommand = data[12] as number
  if (versionCommand >> 4 !== 2) return { kind: 'invalid', reason: 'a v2 signature with a version other than 2' }
  const command = versionCommand & 0x0f
  if (command > 1) return { kind: 'invalid', reason: 'a v2 header with an unknown command' }
  const bodyLength = data.readUInt16BE(14)
  if (bodyLength > V2_MAX_BODY) return { kind: 'invalid', reason: `a v2 header of more than ${V2_MAX_BODY} bytes` }
  const length = 16 + bodyLength
  if (data.length < length) return { kind: 'incomplete' }
  if (command === 0) return { kind: 'header', length } // LOCAL: the proxy's own connection (a health check)
  const family = data[13] as number
  if (family === 0x11 && bodyLength >= 12) {
    return { kind: 'header', length, source: { address: [...data.subarray(16, 20)].join('.'), port: data.readUInt16BE(24) } }
  }
  if (family === 0x21 && bodyLength >= 36) {
    const groups: string[] = []
    for (let i = 0; i < 8; i++) groups.push(data.readUInt16BE(16 + i * 2).toString(16))
    return { kind: 'header', length, source: { address: new net.SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address, port: data.readUInt16BE(48) } }
  }
  return { kind: 'header', length }
}

/** The peers whose headers are believed: loopback, plus `trusted` (addresses or CIDR ranges). Throws on a malformed entry. */
export function trustedPeers (trusted: readonly string[]): (address: string) => boolean {
  const list = new net.BlockList()
  for (const entry of trusted) {
    const [address = '', prefix] = entry.split('/')
    const family = net.isIP(address)
    const bits = prefix === undefined ? undefined : Number(prefix)
    if (family === 0 || (bits !== undefined && (!/^\d{1,3}$/.test(prefix ?? '') || bits > (family === 4 ? 32 : 128)))) {
      throw new Error(`proxy_protocol_trusted: "${entry}" is not an IP address or a CIDR range such as 172.16.0.0/12`)
    }
    const type = family === 4 ? 'ipv4' : 'ipv6'
    if (bits === undefined) list.addAddress(address, type)
    else list.addSubnet(address, bits, type)
  }
  return address => {
    const plain = address.startsWith('::ffff:') ? address.slice(7) : address
    if (isLoopback(plain)) return true
    const family = net.isIP(plain)
    return family !== 0 && list.check(plain, family === 4 ? 'ipv4' : 'ipv6')
  }
}

/** What a trusted peer's connection starts with: the client's remote ("address:port") if a header named one, and the bytes after the header. */
export interface ProxyStart { remote?: string, rest: Buffer }

/**
 * Reads a trusted peer's first bytes until it is clear whether they are a
 * PROXY header. Resolves with what follows the header (or everything, when
 * there is none); rejects on a malformed header, after HEADER_TIMEOUT_MS,
 * or when the socket closes first. The socket is left paused: the caller
 * attaches its own 'data' listener, then resumes it.
 */
export async function readProxyStart (socket: Socket): Promise<ProxyStart> {
  return await new Promise((resolve, reject) => {
    let data: Buffer = Buffer.alloc(0)
    const done = (): void => {
      // Paused until the caller has bound the socket, so no chunk passes between two listeners.
      socket.pause()
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('close', onClose)
    }
    const onData = (chunk: Buffer): void => {
      data = data.length === 0 ? chunk : Buffer.concat([data, chunk])
      const parsed = parseProxyHeader(data)
      if (parsed.kind === 'incomplete') return
      done()
      if (parsed.kind === 'invalid') reject(new Error(`malformed PROXY protocol header: ${parsed.reason}`))
      else if (parsed.kind === 'none') resolve({ rest: data })
      else {
        const source = parsed.source
        resolve({ rest: data.subarray(parsed.length), ...(source === undefined ? {} : { remote: `${source.address}:${source.port}` }) })
      }
    }
    const onClose = (): void => { done(); reject(new Error('closed before sending anything')) }
    const timer = setTimeout(() => { done(); reject(new Error('no PROXY header or request within 10 s')) }, HEADER_TIMEOUT_MS)
    // Nobody else listens yet: an unheard 'error' (a reset mid-header) would end the process. Close follows it.
    socket.on('error', () => {})
    socket.on('data', onData)
    socket.on('close', onClose)
  })
}
