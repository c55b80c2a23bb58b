/**
 * linePrompt(): answers typed after the question, piped before it (all
 * lines already read), a question after the input ended, and close() while
 * an answer is awaited.
 */
import { PassThrough } from 'node:stream'
import t from 'tap'
import { linePrompt } from '../src/index.js'

function streams (): { input: PassThrough, output: PassThrough, written: () => string } {
  const input = new PassThrough()
  const output = new PassThrough()
  let text = ''
  output.on('data', (d: Buffer) => { text += d.toString() })
  return { input, output, written: () => text }
}

t.test('an answer typed after the question', async t => {
  const s = streams()
  const p = linePrompt(s.input, s.output)
  const answer = p.ask('bot token: ')
  s.input.write('7000001:abc\n')
  t.equal(await answer, '7000001:abc')
  t.equal(s.written(), 'bot token: ', 'the question went to the output')
  p.close()
})

t.test('piped answers that all arrived and ended before the questions', async t => {
  const s = streams()
  const p = linePrompt(s.input, s.output)
  s.input.end('15550001101\r\n12345\n')
  await new Promise(resolve => setImmediate(resolve))
  t.equal(await p.ask('phone number: '), '15550001101', 'CRLF is taken off')
  t.equal(await p.ask('login code: '), '12345')
  await t.rejects(p.ask('password: '), { message: 'the input ended before an answer to "password:"' })
  t.equal(s.written(), 'phone number: login code: password: ')
})

t.test('the input ends while an answer is awaited', async t => {
  const s = streams()
  const p = linePrompt(s.input, s.output)
  const answer = p.ask('login code: ')
  s.input.end()
  await t.rejects(answer, { message: 'the input ended before an answer to "login code:"' })
})

t.test('close() rejects the awaited answer; two questions at once are refused', async t => {
  const s = streams()
  const p = linePrompt(s.input, s.output)
  const answer = p.ask('bot token: ')
  await t.rejects(p.ask('again: '), { message: 'ask("again:") while "bot token:" still waits for its answer' })
  p.close()
  await t.rejects(answer, { message: 'the input ended before an answer to "bot token:"' })
})
