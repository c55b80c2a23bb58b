/**
 * Every subcommand of the compiled `tdbroker` takes --help (exit 0, its
 * usage on standard output) and refuses an unknown option with exit 64,
 * naming the option, then its usage. Options are parsed by node:util's
 * parseArgs. The last test spawns dist/: run `npx tsc -p tsconfig.json` first.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { tdbroker as run } from '../../src/cli/commands.js'
import { CLI } from '../helpers/cli.js'
import { scratchDir } from '../store/helpers/broker.js'

const dir = scratchDir('tdbroker-help-')
process.chdir(dir)

/** The command in this process, as the program runs it (main.ts only adds the process's streams). */
async function tdbroker (...args: string[]): Promise<{ status: number, stdout: string, stderr: string }> {
  const out: string[] = []
  const err: string[] = []
  const status = await run(args, l => out.push(l), l => err.push(l))
  return { status, stdout: out.join('\n'), stderr: err.join('\n') }
}

const COMMANDS: Array<[string[], RegExp]> = [
  [['start'], /^usage: tdbroker start \[--settings FILE\]/],
  [['status'], /^usage: tdbroker status /],
  [['check-config'], /^usage: tdbroker check-config FILE/],
  [['client'], /^usage: tdbroker client add NAME/],
  [['client', 'add'], /^usage: tdbroker client add NAME/],
  [['bot-token'], /^usage: tdbroker bot-token add NAME --session ID --bot-id N/],
  [['bot-token', 'add'], /^usage: tdbroker bot-token add NAME/],
  [['backup'], /^usage: tdbroker backup SESSION_ID --output FILE/],
  [['restore'], /^usage: tdbroker restore SESSION_ID \[--file BACKUP\.tar\]/],
  [['cert'], /^usage:\n {2}tdbroker cert create /],
  [['cert', 'create'], /^usage:\n {2}tdbroker cert create /],
  [['cert', 'show'], /^usage:\n {2}tdbroker cert create /],
  [['drain'], /^usage: tdbroker drain NODE/],
  [['version'], /^usage: tdbroker version/]
]

t.test('--help and -h on every subcommand print its usage and exit 0', async t => {
  for (const [command, usage] of COMMANDS) {
    for (const flag of ['--help', '-h']) {
      const r = await tdbroker(...command, flag)
      t.equal(r.status, 0, `${command.join(' ')} ${flag}: exit 0 ${r.stderr}`)
      t.match(r.stdout, usage, `${command.join(' ')} ${flag}: its usage`)
      t.equal(r.stderr, '', `${command.join(' ')} ${flag}: nothing on standard error`)
    }
  }
  const top = await tdbroker('--help')
  t.equal(top.status, 0)
  for (const command of ['start', 'status', 'check-config', 'cert', 'client', 'bot-token', 'drain', 'backup', 'restore', 'version']) {
    t.match(top.stdout, new RegExp(`\\n {2}tdbroker ${command}\\b`), `the overview names ${command}`)
  }
  t.match(top.stdout, /every command takes --help/)
})

t.test('an unknown option, a missing value or a stray argument: exit 64, what was wrong, then the usage', async t => {
  const cases: Array<[string[], RegExp]> = [
    [['start', '--colour', 'red'], /Unknown option '--colour'/],
    [['start', '--port'], /Option '--port <value>' argument missing/],
    [['start', '--port', '99999'], /--port must be a whole number from 0 to 65535, got "99999"/],
    [['start', 'now'], /unexpected argument "now"/],
    [['status', '--settings='], /--settings needs a value/],
    [['check-config'], /missing FILE argument/],
    [['check-config', 'a.json', 'b.json'], /unexpected argument "b\.json"/],
    [['client', 'remove', 'x'], /unknown subcommand "remove" \(there is "add"\)/],
    [['client', 'add', 'bad name'], /the name "bad name" /],
    [['bot-token', 'add', 'ops', '--session', 'x', '--bot-id', '1'], /--session must be a session id/],
    [['bot-token', 'add', 'ops', '--sesion', '1'], /Unknown option '--sesion'/],
    [['backup', '1', '--output'], /Option '-o, --output <value>' argument missing/],
    [['restore'], /missing argument/],
    [['restore', '12', '--forse'], /Unknown option '--forse'/],
    [['cert', 'create', '--colour', 'red'], /Unknown option '--colour'/],
    [['version', 'now'], /unexpected argument "now"/]
  ]
  for (const [args, problem] of cases) {
    const r = await tdbroker(...args)
    t.equal(r.status, 64, `${args.join(' ')}: exit 64`)
    t.match(r.stderr, problem, `${args.join(' ')}: says what was wrong`)
    t.match(r.stderr, /usage:/, `${args.join(' ')}: the usage follows`)
    t.notMatch(r.stderr, /To specify a positional argument/, `${args.join(' ')}: without node's hint about "--"`)
  }
})

t.test('the program itself: exit codes and streams as the shell sees them', async t => {
  const help = spawnSync(process.execPath, [CLI, 'backup', '--help'], { cwd: dir, encoding: 'utf8', timeout: 30_000 })
  t.equal(help.status, 0)
  t.match(help.stdout, /^usage: tdbroker backup SESSION_ID/)
  const wrong = spawnSync(process.execPath, [CLI, 'restore', '1', '--colour'], { cwd: dir, encoding: 'utf8', timeout: 30_000 })
  t.equal(wrong.status, 64)
  t.match(wrong.stderr, /^tdbroker restore: Unknown option '--colour'\n\nusage: tdbroker restore/)
})
