/**
 * The shipped nginx/nginx.conf, run by the real nginx (Debian: nginx +
 * libnginx-mod-stream) in front of a loopback stand-in for the broker, with
 * certificates made by our own `cert` code.
 */
import { once } from 'node:events'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'
import t, { type Test } from 'tap'
import { generateCaSet, generateSelfSigned, type SubjectAltName } from '../../src/certs/generate.js'
import { caSetFiles, singlePairFiles, writePemFiles } from '../../src/certs/write.js'
import {
  SHIPPED_CONF, findNginx, freePort, hasIpv6Loopback, linkModules, renderNginxConf, startNginx, testConfig,
  type CertModel, type RunningNginx,
} from './fixtures/nginx-harness.js'
import { PROBE, startUpstream, type Upstream } from './fixtures/upstream.js'

const nginx = findNginx()
const altNames: SubjectAltName[] = [
  { type: 'dns', value: 'localhost' }, { type: 'ip', value: '127.0.0.1' }, { type: 'ip', value: '::1' },
]

interface Outcome {
  secureConnect: boolean
  /** The client's own address and port, as nginx sees them. */
  local?: string
  serverFingerprint?: string
  received: string
  error?: NodeJS.ErrnoException
}

/** Sends PROBE after the handshake; collects the reply line, or whatever happens instead. */
async function probe (host: string, port: number, options: tls.ConnectionOptions): Promise<Outcome> {
  return await new Promise(resolve => {
    const out: Outcome = { secureConnect: false, received: '' }
    const socket = tls.connect({ host, port, ...options })
    socket.setEncoding('utf8')
    socket.on('secureConnect', () => {
      out.secureConnect = true
      out.local = `${socket.localAddress ?? '?'}:${socket.localPort ?? '?'}`
      out.serverFingerprint = socket.getPeerCertificate().fingerprint256
      socket.write(JSON.stringify(PROBE) + '\n')
    })
    socket.on('data', (d: string) => {
      out.received += d
      if (out.received.includes('\n')) socket.end()
    })
    socket.on('error', e => { out.error = e })
    socket.on('close', () => resolve(out))
  })
}

type Tap = Test

interface Deployment {
  nginx: RunningNginx
  upstream: Upstream
  port4: number
  port6?: number
}

async function deploy (t: Tap, model: CertModel, files: Array<{ name: string, contents: string, secret: boolean }>): Promise<Deployment> {
  const prefix = t.testdir({ ssl: {} })
  await writePemFiles(join(prefix, 'ssl'), files, { force: true })
  linkModules(prefix)
  const upstream = await startUpstream()
  t.teardown(upstream.close)
  const port4 = await freePort('127.0.0.1')
  const port6 = await hasIpv6Loopback() ? await freePort('::1') : undefined
  const conf = join(prefix, 'nginx.conf')
  writeFileSync(conf, renderNginxConf(readFileSync(SHIPPED_CONF, 'utf8'), {
    prefix, sslDir: join(prefix, 'ssl'), ipv4Port: port4, ipv6Port: port6, upstream: `${upstream.host}:${upstream.port}`, model,
  }))
  const checked = testConfig(nginx as string, prefix, conf)
  t.ok(checked.ok, 'nginx -t accepts the rendered shipped config', { output: checked.output })
  const running = await startNginx(nginx as string, prefix, conf, port4)
  t.teardown(running.stop)
  return { nginx: running, upstream, port4, ...(port6 === undefined ? {} : { port6 }) }
}

/**
 * What nginx does with a client it refuses: `ssl_verify_client on` asks for a
 * certificate but lets the TLS handshake finish either way, then checks the
 * result and closes the connection, without an alert, before any data is
 * proxied. So the client sees a completed handshake, then the end; the
 * broker never sees a connection; nginx logs why at level info.
 */
async function assertRefused (t: Tap, d: Deployment, options: tls.ConnectionOptions, logged: RegExp): Promise<void> {
  const before = d.upstream.connections()
  const got = await probe('127.0.0.1', d.port4, options)
  t.equal(got.secureConnect, true, 'the TLS handshake itself completes')
  t.equal(got.received, '', 'then nginx closes the connection before any data flows')
  t.equal(d.upstream.connections(), before, 'the broker never sees the connection')
  t.match(d.nginx.errorLog(), logged, 'nginx logs why')
}

t.test('nginx in front of the broker', { skip: whyNotRunnable() ?? false }, async t => {
  t.test('single-pair model: cert.pem is server certificate and the only client certificate', async t => {
    const pair = await generateSelfSigned({ altNames })
    const stranger = await generateSelfSigned({ altNames })
    const d = await deploy(t, 'single', singlePairFiles(pair))
    const fingerprint = new X509Certificate(pair.cert).fingerprint256

    const ok = await probe('127.0.0.1', d.port4, { ca: pair.cert, cert: pair.cert, key: pair.key })
    t.equal(ok.serverFingerprint, fingerprint, 'nginx presents cert.pem')
    t.equal(ok.error, undefined)
    t.match(JSON.parse(ok.received), { '@type': 'broker.version', '@extra': PROBE['@extra'] }, 'a request goes to the broker and its answer comes back')
    t.equal(d.upstream.connections(), 1, 'over one upstream connection')
    t.same(d.upstream.remotes(), [ok.local], "the broker sees the client's own address and port (PROXY protocol), not nginx's")
    t.match(d.nginx.accessLog(), /client="CN=tdbroker" verify=SUCCESS upstream=127\.0\.0\.1:\d+/, 'and nginx logs the client')

    if (d.port6 === undefined) {
      t.comment('no IPv6 loopback on this host: the [::] listener is not exercised')
    } else {
      const v6 = await probe('::1', d.port6, { ca: pair.cert, cert: pair.cert, key: pair.key })
      t.match(JSON.parse(v6.received), { '@type': 'broker.version', '@extra': PROBE['@extra'] }, 'the IPv6 listener works the same')
      t.equal(d.upstream.remotes().at(-1), v6.local, 'and the broker sees the IPv6 client as such, though nginx reached it over IPv4')
      t.match(v6.local, /^::1:\d+$/)
    }

    const reached = d.upstream.connections()
    await assertRefused(t, d, { ca: pair.cert }, /client sent no required SSL certificate/)
    await assertRefused(t, d, { ca: pair.cert, cert: stranger.cert, key: stranger.key, maxVersion: 'TLSv1.2' },
      /client SSL certificate verify error: \(18:self[- ]signed certificate\)/)
    await assertRefused(t, d, { ca: pair.cert, cert: stranger.cert, key: stranger.key, maxVersion: 'TLSv1.3' },
      /client SSL certificate verify error: \(18:self[- ]signed certificate\)/)

    const tooOld = await probe('127.0.0.1', d.port4, {
      ca: pair.cert, cert: pair.cert, key: pair.key, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0',
    })
    t.equal(tooOld.secureConnect, false, 'TLS 1.1 is refused (ssl_protocols TLSv1.2 TLSv1.3)')
    t.equal(tooOld.error?.code, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', 'by a protocol_version alert from nginx')
    t.equal(d.upstream.connections(), reached, 'none of the refused clients reached the broker')
  })

  t.test('CA model: server.pem signed by ca.pem, clients by the same CA', async t => {
    const set = await generateCaSet({ serverAltNames: altNames, clients: ['siptg'] })
    const other = await generateCaSet({ serverAltNames: altNames, clients: ['siptg'] })
    const d = await deploy(t, 'ca', caSetFiles(set))
    const client = set.clients[0]!

    const ok = await probe('127.0.0.1', d.port4, { ca: set.ca.cert, cert: client.cert, key: client.key })
    t.equal(ok.serverFingerprint, new X509Certificate(set.server.cert).fingerprint256, 'nginx presents server.pem')
    t.match(JSON.parse(ok.received), { '@type': 'broker.version', '@extra': PROBE['@extra'] }, 'a client of the CA gets through')
    t.match(d.nginx.accessLog(), /client="CN=siptg" verify=SUCCESS/)

    const stranger = other.clients[0]!
    await assertRefused(t, d, { ca: set.ca.cert, cert: stranger.cert, key: stranger.key },
      /client SSL certificate verify error: \(21:unable to verify the first certificate\)/)
    await assertRefused(t, d, { ca: set.ca.cert, cert: set.server.cert, key: set.server.key },
      /client SSL certificate verify error: \(26:unsuitable certificate purpose\)/)
    t.equal(d.upstream.connections(), 1)
  })

  t.test('one client connection carries request after request over one upstream connection', async t => {
    const pair = await generateSelfSigned({ altNames })
    const d = await deploy(t, 'single', singlePairFiles(pair))
    const socket = tls.connect({ host: '127.0.0.1', port: d.port4, ca: pair.cert, cert: pair.cert, key: pair.key })
    socket.setEncoding('utf8')
    await once(socket, 'secureConnect')
    let buffered = ''
    const ask = async (n: number): Promise<unknown> => {
      socket.write(JSON.stringify({ ...PROBE, '@extra': n }) + '\n')
      while (!buffered.includes('\n')) buffered += (await once(socket, 'data') as [string])[0]
      const line = buffered.slice(0, buffered.indexOf('\n'))
      buffered = buffered.slice(line.length + 1)
      return JSON.parse(line)
    }
    t.match(await ask(1), { '@type': 'broker.version', '@extra': 1 })
    t.match(await ask(2), { '@type': 'broker.version', '@extra': 2 }, 'the same connection carries the next request')
    t.equal(d.upstream.connections(), 1, 'one upstream connection per client connection')
    socket.destroy()
  })
})

/** Why nginx cannot run these tests here, or undefined if it can. */
function whyNotRunnable (): string | undefined {
  if (nginx === undefined) return 'nginx is not installed (apt-get install nginx libnginx-mod-stream)'
  const prefix = mkdtempSync(join(tmpdir(), 'tdbroker-nginx-probe-'))
  try {
    writeFileSync(join(prefix, 'probe.conf'), 'include /etc/nginx/modules-enabled/*.conf;\nevents {}\nstream {}\n')
    linkModules(prefix)
    const r = testConfig(nginx, prefix, join(prefix, 'probe.conf'))
    if (r.ok) return undefined
    if (/unknown directive "stream"/.test(r.output)) return 'nginx has no stream module (apt-get install libnginx-mod-stream)'
    return `nginx -t fails on a minimal stream config: ${r.output.trim()}`
  } finally {
    rmSync(prefix, { recursive: true, force: true })
  }
}
