/**
 * Answers for login() read a line at a time, typed at a terminal or piped in
 * (`printf '%s\n' "$TOKEN" | app login --bot`). node:readline/promises'
 * question() cannot serve a pipe: the input may end before the question is
 * asked, and then question() throws ERR_USE_AFTER_CLOSE. Here the lines are
 * kept until they are asked for, and a question asked after the input ended
 * rejects, saying which answer is missing.
 */
import { createInterface } from 'node:readline'

export interface LinePrompt {
  /** Writes `question` to the output and resolves with the next line of the input. */
  ask: (question: string) => Promise<string>
  /** Stops reading; a pending ask() rejects. */
  close: () => void
}

/** A LinePrompt on `input` (default stdin), writing questions to `output` (default stderr, so stdout stays for results). */
export function linePrompt (input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stderr): LinePrompt {
  const rl = createInterface({ input, crlfDelay: Infinity, terminal: false })
  const lines: string[] = []
  let ended = false
  let waiting: { question: string, resolve: (line: string) => void, reject: (e: Error) => void } | undefined
  const missing = (question: string): Error => new Error(`the input ended before an answer to "${question.trim()}"`)
  rl.on('line', line => {
    if (waiting === undefined) { lines.push(line); return }
    const w = waiting
    waiting = undefined
    w.resolve(line)
  })
  rl.on('close', () => {
    ended = true
    const w = waiting
    waiting = undefined
    w?.reject(missing(w.question))
  })
  return {
    async ask (question) {
      if (waiting !== undefined) throw new Error(`ask("${question.trim()}") while "${waiting.question.trim()}" still waits for its answer`)
      output.write(question)
      const line = lines.shift()
      if (line !== undefined) return line
      if (ended) throw missing(question)
      return await new Promise<string>((resolve, reject) => { waiting = { question, resolve, reject } })
    },
    close () { rl.close() }
  }
}
