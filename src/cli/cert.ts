/**
 * `tdbroker cert ...`: create and inspect the TLS certificates used by nginx
 * (deployment with docker-compose) or by the broker's own TLS listener.
 */
import { resolve } from 'node:path'
import { CertError } from '../certs/errors.js'
import { generateCaSet, generateSelfSigned, parseAltNames, type SubjectAltName } from '../certs/generate.js'
import { expiresWithin, inspectCertificateFile, type CertificateInfo } from '../certs/inspect.js'
import { caSetFiles, singlePairFiles, writePemFiles } from '../certs/write.js'
import { EX_USAGE, parseCommandLine, UsageError, type OptionSpec } from './args.js'

type Line = (line: string) => void

const DEFAULT_SANS = 'DNS:localhost,IP:127.0.0.1,IP:::1'

export const CERT_USAGE = `usage:
  tdbroker cert create [--dir ssl] [--cn NAME] [--san DNS:host,IP:1.2.3.4] [--days 365] [--force]
      one self-signed cert.pem + key.pem, used as the server certificate and as
      the only accepted client certificate (what nginx/nginx.conf expects)
  tdbroker cert create-ca [--dir ssl] [--server-san DNS:host,IP:1.2.3.4] [--client NAME]... [--days 365] [--force]
      a private CA (ca.pem, ca-key.pem), a server certificate (server.pem,
      server-key.pem) and per client client-NAME.pem, client-NAME-key.pem
  tdbroker cert show FILE
      subject, issuer, names, fingerprint and validity of each certificate in FILE
  tdbroker cert check FILE [--days 30]
      one line for monitoring; exit 0 ok, 1 expires within --days, 2 expired or unreadable

  --san/--server-san may be repeated; default ${DEFAULT_SANS}
  keys are written with mode 0600; existing files are kept unless --force`

/** Runs `tdbroker cert ARGS`; returns the exit code. */
export async function certCommand (args: string[], out: Line, err: Line): Promise<number> {
  const [sub, ...rest] = args
  try {
    switch (sub) {
      case 'create':
        return await create(rest, out)
      case 'create-ca':
        return await createCa(rest, out)
      case 'show':
        return await show(rest, out)
      case 'check':
        return await check(rest, out)
      case 'help':
      case '--help':
      case '-h':
        out(CERT_USAGE)
        return 0
      case undefined:
        return usage(err, 'missing subcommand (create, create-ca, show or check)')
      default:
        return usage(err, `unknown subcommand "${sub}"`)
    }
  } catch (e) {
    if (e instanceof HelpRequested) {
      out(CERT_USAGE)
      return 0
    }
    if (e instanceof UsageError) return usage(err, e.message)
    if (e instanceof CertError) {
      if (e.code === 'CERT_BAD_OPTION') return usage(err, e.message.replace(/^CERT_BAD_OPTION: /, ''))
      err(`tdbroker cert: ${e.message}`)
      return 1
    }
    throw e
  }
}

function usage (err: Line, problem: string): number {
  err(`tdbroker cert: ${problem}`)
  err('')
  err(CERT_USAGE)
  return EX_USAGE
}

async function create (args: string[], out: Line): Promise<number> {
  const { values } = parse(args, {
    dir: { type: 'string', default: 'ssl' },
    cn: { type: 'string' },
    san: { type: 'string', multiple: true },
    days: { type: 'string' },
    force: { type: 'boolean', default: false },
  }, 0)
  const pair = await generateSelfSigned({
    commonName: values.cn as string | undefined,
    altNames: altNames(values.san as string[] | undefined, '--san'),
    days: days(values.days as string | undefined),
  })
  const written = await writePemFiles(resolve(values.dir as string), singlePairFiles(pair), { force: values.force === true })
  for (const path of written) out(`wrote ${path}`)
  out('use cert.pem both as the server certificate and as the client certificate (with key.pem)')
  return 0
}

async function createCa (args: string[], out: Line): Promise<number> {
  const { values } = parse(args, {
    dir: { type: 'string', default: 'ssl' },
    'server-san': { type: 'string', multiple: true },
    client: { type: 'string', multiple: true },
    days: { type: 'string' },
    force: { type: 'boolean', default: false },
  }, 0)
  const clients = (values.client as string[] | undefined) ?? []
  if (clients.length === 0) throw new UsageError('create-ca needs at least one --client NAME')
  const set = await generateCaSet({
    serverAltNames: altNames(values['server-san'] as string[] | undefined, '--server-san'),
    clients,
    days: days(values.days as string | undefined),
  })
  const written = await writePemFiles(resolve(values.dir as string), caSetFiles(set), { force: values.force === true })
  for (const path of written) out(`wrote ${path}`)
  out('keep ca-key.pem offline if you can: whoever has it can issue client certificates')
  return 0
}

async function show (args: string[], out: Line): Promise<number> {
  const { positionals } = parse(args, {}, 1)
  const file = positionals[0] as string
  const certs = await inspectCertificateFile(file)
  certs.forEach((c, i) => {
    if (certs.length > 1) out(`${i === 0 ? '' : '\n'}certificate ${i + 1} of ${certs.length}`)
    for (const line of describe(c)) out(line)
  })
  return 0
}

async function check (args: string[], out: Line): Promise<number> {
  const { values, positionals } = parse(args, { days: { type: 'string', default: '30' } }, 1)
  const file = positionals[0] as string
  const within = nonNegativeInteger(values.days as string, '--days')
  let certs: CertificateInfo[]
  try {
    certs = await inspectCertificateFile(file)
  } catch (e) {
    if (!(e instanceof CertError)) throw e
    out(`UNREADABLE ${file}: ${e.message}`)
    return 2
  }
  // a bundle is as good as its first certificate to expire
  const c = certs.reduce((a, b) => b.notAfter < a.notAfter ? b : a)
  const where = `${file}${certs.length > 1 ? ` (${c.subject})` : ''}`
  if (c.expired) {
    out(`EXPIRED ${where}: expired on ${c.notAfter.toISOString()} (${-c.daysLeft} days ago)`)
    return 2
  }
  if (expiresWithin(c, within)) {
    out(`EXPIRING ${where}: expires on ${c.notAfter.toISOString()} (${c.daysLeft} days left, warning at ${within})`)
    return 1
  }
  out(`OK ${where}: expires on ${c.notAfter.toISOString()} (${c.daysLeft} days left)`)
  return 0
}

function describe (c: CertificateInfo): string[] {
  return [
    `subject:      ${c.subject}`,
    `issuer:       ${c.issuer}${c.selfSigned ? ' (self-signed)' : ''}`,
    `names:        ${c.subjectAltNames.length === 0 ? '(none)' : c.subjectAltNames.join(', ')}`,
    `serial:       ${c.serialNumber}`,
    `sha256:       ${c.fingerprint256}`,
    `CA:           ${c.isCA ? 'yes' : 'no'}`,
    `not before:   ${c.notBefore.toISOString()}${c.notYetValid ? ' (not yet valid)' : ''}`,
    `not after:    ${c.notAfter.toISOString()}`,
    `days left:    ${c.expired ? `expired ${-c.daysLeft} days ago` : String(c.daysLeft)}`,
  ]
}

function parse (args: string[], options: OptionSpec, positionals: number):
  { values: Record<string, string | boolean | Array<string | boolean> | undefined>, positionals: string[] } {
  const parsed = parseCommandLine({ usage: CERT_USAGE, options, positionals: [positionals, positionals], missing: 'missing FILE argument' }, args)
  if (parsed === undefined) throw new HelpRequested()
  return parsed
}

/** --help after a subcommand (`tdbroker cert create --help`). */
class HelpRequested extends Error {}

function altNames (specs: string[] | undefined, flag: string): SubjectAltName[] {
  try {
    return parseAltNames((specs ?? [DEFAULT_SANS]).join(','))
  } catch (e) {
    throw new UsageError(`${flag}: ${(e as Error).message.replace(/^CERT_BAD_OPTION: /, '')}`)
  }
}

function days (value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = nonNegativeInteger(value, '--days')
  if (n < 1 || n > 36_500) throw new UsageError(`--days must be from 1 to 36500, not ${value}`)
  return n
}

function nonNegativeInteger (value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be a whole number of days, not "${value}"`)
  return Number(value)
}
