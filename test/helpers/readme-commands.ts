/**
 * A README's shell commands run as pasted: its `sh` blocks split into lines,
 * the placeholders a reader fills in filled, each line run with bash from the
 * repository's root in its own process group, fed what a person would type,
 * and stopped as Ctrl-C stops it. Used by the apps' README tests.
 */
import { spawn } from 'node:child_process'
import type { Test } from 'tap'
import { ROOT } from './cli.js'

/**
 * Every command of every `sh` block (the indented ones in numbered steps
 * too): a line, with the lines a trailing backslash continues joined to it,
 * trimmed; empty lines left out.
 */
export function shellLines (markdown: string): string[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap(m => (m[1] as string).replace(/\\\n\s*/g, ' ').split('\n').map(l => l.trim()).filter(l => l !== ''))
}

/** The one line of `lines` that contains `part` (throws when there are none or several). */
export function lineWith (lines: string[], part: string): string {
  const found = lines.filter(l => l.includes(part))
  if (found.length !== 1) throw new Error(`the README has ${found.length} command lines with "${part}"`)
  return found[0] as string
}

/** `s` quoted for bash. */
export const shellQuote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`

/**
 * `line` with each `NAME=...` given its value from `secrets` (throws for one
 * it does not know) and each `[from, to]` of `replace` done once, `to` quoted
 * (throws when `from` is not in the line).
 */
export function fillLine (line: string, secrets: Record<string, string>, replace: Array<[string, string]> = []): string {
  let filled = line.replace(/\b([A-Z_]+)=\.\.\./g, (_m, name: string) => {
    const value = secrets[name]
    if (value === undefined) throw new Error(`the README's command wants ${name}, which the test does not know`)
    return `${name}=${shellQuote(value)}`
  })
  for (const [from, to] of replace) {
    if (!filled.includes(from)) throw new Error(`the README's command has no "${from}": ${line}`)
    filled = filled.replace(from, shellQuote(to))
  }
  return filled
}

export interface Ran { stdout: string, stderr: string, code: number | null, signal: NodeJS.Signals | null }

/**
 * Runs `line` with bash from the repository's root, writes `input` to its
 * stdin (then ends it), and waits for `until`: its stdout matching a RegExp,
 * or a promise (something the command makes happen elsewhere) resolving. With
 * `stop`, it then sends SIGINT to the command's process group, as Ctrl-C
 * does. Resolves with how the command ended; rejects when it ends before
 * `until`, when `until` rejects, or after `timeoutMs`.
 */
export async function runLine (line: string, until: RegExp | Promise<unknown>, opts: { input?: string, stop?: boolean, timeoutMs?: number } = {}): Promise<Ran> {
  const child = spawn('bash', ['-c', line], { cwd: ROOT, detached: true, stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  let happened = false
  const seen = (): boolean => happened || (until instanceof RegExp && until.test(stdout))
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  child.stdin.end(opts.input ?? '')
  const group = (signal: NodeJS.Signals): void => { try { process.kill(-(child.pid as number), signal) } catch { /* already gone */ } }
  const ms = opts.timeoutMs ?? 60_000
  let timer: NodeJS.Timeout | undefined
  try {
    return await new Promise<Ran>((resolve, reject) => {
      timer = setTimeout(() => { reject(new Error(`not done within ${ms} ms: ${line}\n${stdout}\n${stderr}`)) }, ms)
      if (!(until instanceof RegExp)) until.then(() => { happened = true; if (opts.stop === true) group('SIGINT') }, reject)
      child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); if (opts.stop === true && until instanceof RegExp && until.test(stdout)) group('SIGINT') })
      child.on('exit', (code, signal) => { if (seen()) resolve({ stdout, stderr, code, signal }); else reject(new Error(`exited ${String(code ?? signal)} too early: ${line}\n${stdout}\n${stderr}`)) })
    })
  } finally {
    clearTimeout(timer)
    group('SIGKILL')
  }
}

/**
 * After Ctrl-C: the command exited 0, or (under npm, which gets the SIGINT
 * too and then ends itself by it) by SIGINT; and nothing on stderr matches
 * `errors`.
 */
export function stoppedCleanly (t: Test, ran: Ran, what: string, errors: RegExp): void {
  t.ok(ran.code === 0 || ran.signal === 'SIGINT', `${what} ended on SIGINT (code ${String(ran.code)}, signal ${String(ran.signal)})`)
  t.notMatch(ran.stderr, errors, `${what} reported no error on the way out`)
}
