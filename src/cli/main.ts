#!/usr/bin/env node
/**
 * The `tdbroker` program: runs the command (commands.ts) on the process's
 * arguments and turns failures into clear messages and exit codes.
 */
import { tdbroker } from './commands.js'

/**
 * Output read by a pipe whose reader went away (`tdbroker cert show … | head`)
 * is not an error: the rest of it is dropped quietly and the command ends
 * with its own exit code.
 */
let stdoutGone = false
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') {
    stdoutGone = true
    return
  }
  process.stderr.write(`tdbroker: cannot write to standard output: ${e.message}\n`)
  process.exitCode = 1
})
// The same for error output (`2>&1 | head`): the exit code still says what happened.
process.stderr.on('error', () => { /* nowhere left to say it */ })

const out = (line: string): void => { if (!stdoutGone) process.stdout.write(line + '\n') }
const err = (line: string): void => { process.stderr.write(line + '\n') }

tdbroker(process.argv.slice(2), out, err).then(code => {
  if (code !== 0 || process.argv[2] !== 'start') process.exitCode = code
}, e => {
  process.stderr.write(`tdbroker: ${e instanceof Error ? e.message : String(e)}\n`)
  process.exitCode = 1
})
