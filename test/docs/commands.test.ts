/**
 * The shell commands of the operator's guides (docs/clients.md,
 * docs/deployment.md, docs/storage.md, docs/cluster.md, ssl/README.md), run
 * as pasted with bash wherever this machine can: each in a fresh folder that
 * holds the compiled broker as `dist` and has `tdbroker` on PATH (the guides'
 * name for `node dist/src/cli/main.js`, which `npm link` installs), and with
 * `ssl/` already holding a pair when the line reads one. Every line is
 * either run or listed in NOT_RUN with the reason, so a new line in a guide
 * must be one or the other. Every run line must exit 0.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { tempDir } from '../helpers/broker.js'
import { CLI, ROOT } from '../helpers/cli.js'
import { shellLines } from '../helpers/readme-commands.js'

const GUIDES = ['docs/clients.md', 'docs/deployment.md', 'docs/storage.md', 'docs/cluster.md', 'ssl/README.md']

/** Lines that are not run, and why. */
const NOT_RUN: Array<[RegExp, string]> = [
  [/^docker-compose (build|up|ps|logs|restart|pull|exec|run)\b/, 'needs a Docker engine, which this machine does not have (test/deploy and test/cluster/compose.test.ts check the compose files with `docker-compose config`)'],
  [/^git (clone|pull)\b/, 'fetches the repository from its host'],
  [/^sudo chown -R 1000:1000 /, "gives the container's user the host folders made on the line before"],
  [/^mysql -u /, 'asks for a password on a terminal (-p); test/store loads schema.sql into MariaDB itself'],
  [/^openssl rand -base64 32 > \/etc\/tdbroker\//, 'writes the host\'s /etc; test/store/seal.test.ts makes and uses such a key'],
  [/^tdbroker (backup|restore) SESSION_ID .*\[/, 'a synopsis with placeholders and [options]; test/cli and test/store run backup and restore'],
  [/^tdbroker drain NODE /, 'NODE is a placeholder and draining needs a cluster; test/cluster/drain.test.ts runs `tdbroker drain`']
]

/** Lines run in the repository itself, since they only read it. */
const IN_REPOSITORY = /^docker-compose -f \S+ config\b/

const lines = GUIDES.flatMap(file => shellLines(readFileSync(join(ROOT, file), 'utf8')).filter(l => !l.startsWith('#')).map(line => ({ file, line })))

/** A fresh folder with dist/ (the compiled broker) and a bin/tdbroker that runs it. */
function folder (): { dir: string, path: string } {
  const dir = tempDir('tdbroker-docs-')
  symlinkSync(join(ROOT, 'dist'), join(dir, 'dist'))
  mkdirSync(join(dir, 'bin'))
  writeFileSync(join(dir, 'bin/tdbroker'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`)
  chmodSync(join(dir, 'bin/tdbroker'), 0o755)
  return { dir, path: `${join(dir, 'bin')}:${process.env.PATH ?? ''}` }
}

function bash (line: string, cwd: string, path: string): { status: number | null, out: string } {
  const r = spawnSync('bash', ['-c', line], { cwd, env: { ...process.env, PATH: path }, encoding: 'utf8', timeout: 60_000 })
  return { status: r.status, out: `${r.stdout}${r.stderr}${r.error === undefined ? '' : String(r.error)}` }
}

t.test('every guide line is run or has a reason not to be', async t => {
  t.ok(lines.length >= 20, `${lines.length} lines in the guides' sh blocks`)
  for (const { file, line } of lines) {
    const reason = NOT_RUN.find(([re]) => re.test(line))?.[1]
    if (reason !== undefined) { t.comment(`not run (${file}): ${line} — ${reason}`); continue }
    await t.test(`${file}: ${line}`, async t => {
      if (IN_REPOSITORY.test(line)) {
        const r = bash(line, ROOT, process.env.PATH ?? '')
        t.equal(r.status, 0, r.out)
        return
      }
      const { dir, path } = folder()
      if (/ssl\/cert\.pem/.test(line) && !/\bcert create/.test(line)) {
        const made = bash('tdbroker cert create --dir ssl --san DNS:broker.example.org', dir, path)
        t.equal(made.status, 0, `a pair in ssl/ for the line to read: ${made.out}`)
      }
      const r = bash(line, dir, path)
      t.equal(r.status, 0, `exits 0: ${r.out}`)
      const dirArg = /--dir (\S+)/.exec(line)?.[1]
      if (/\bcert create /.test(line) && dirArg !== undefined && !dirArg.startsWith('/')) t.ok(existsSync(join(dir, dirArg, 'cert.pem')), `${dirArg}/cert.pem is written`)
      if (/\bcert create-ca\b/.test(line)) for (const f of ['ca.pem', 'server.pem', 'client-siptg.pem', 'client-backup.pem']) t.ok(existsSync(join(dir, 'ssl', f)), `ssl/${f} is written`)
      if (/\bclient add\b/.test(line)) t.match(r.out, /"key_hash"/, 'it prints the clients entry with the key hash')
    })
  }
})
