/**
 * LineFramer (issue 10 point 10): max_frame_size does not count the \r of a
 * CRLF line, blank lines are skipped like empty ones, and splitting the
 * stream at any byte gives the same lines.
 */
import t from 'tap'
import { isBlankMessage, LineFramer } from '../../src/server/framing.js'

/** Feeds the chunks to a framer; returns the lines and the oversize reports. */
function frame (max: number, chunks: Buffer[]): { lines: string[], oversize: number[] } {
  const lines: string[] = []
  const oversize: number[] = []
  const framer = new LineFramer(max, l => { lines.push(l) }, s => { oversize.push(s) })
  for (const c of chunks) framer.push(c)
  return { lines, oversize }
}

/** Every way of cutting `bytes` into two chunks, and into single bytes. */
function splits (bytes: Buffer): Buffer[][] {
  const out: Buffer[][] = [[bytes]]
  for (let i = 1; i < bytes.length; i++) out.push([bytes.subarray(0, i), bytes.subarray(i)])
  out.push([...bytes].map(b => Buffer.from([b])))
  return out
}

t.test('a CRLF line of exactly max_frame_size bytes is accepted, however it is split', async t => {
  const max = 1024
  const body = 'x'.repeat(max)
  for (const chunks of splits(Buffer.from(body + '\r\n'))) {
    const r = frame(max, chunks)
    if (r.oversize.length > 0 || r.lines.length !== 1 || r.lines[0] !== body) {
      t.fail(`split at ${chunks.map(c => c.length).join('+')}: ${JSON.stringify(r.oversize)}`)
      return
    }
  }
  t.pass('every split of "<1024 bytes>\\r\\n" gives the one line')
  t.same(frame(max, [Buffer.from(body + '\n')]).lines, [body], 'the same line with LF alone')
  t.same(frame(max, [Buffer.from(body + 'y\r\n')]).oversize, [max + 1], 'one byte more is refused')
  t.same(frame(max, [Buffer.from(body + 'y\n')]).oversize, [max + 1])
  t.same(frame(max, [Buffer.from(body + '\r'), Buffer.from('y')]).oversize, [max + 2], 'a \\r not followed by the newline counts')
  t.same(frame(max, [Buffer.from(body + '\r\r\n')]).oversize, [max + 1], 'only the last \\r is free')
  t.same(frame(max, [Buffer.from(body), Buffer.from('yy')]).oversize, [max + 2], 'an unfinished line is refused before its newline')
})

t.test('blank lines are skipped like empty ones; other lines keep their spaces', async t => {
  const input = '\n\r\n \n\t \r\n  \r \t\n{"a":1}\n  {"b":2}\t\r\n\r\n'
  for (const chunks of splits(Buffer.from(input))) {
    const r = frame(1024, chunks)
    if (JSON.stringify(r.lines) !== JSON.stringify(['{"a":1}', '  {"b":2}\t'])) {
      t.fail(`split at ${chunks.map(c => c.length).join('+')}: ${JSON.stringify(r.lines)}`)
      return
    }
  }
  t.pass('the same two lines for every split')
  t.same(frame(1024, [Buffer.from('\x00\n \x0b\n')]).lines, ['\x00', ' \x0b'], 'NUL and vertical tab are not JSON whitespace: they are lines (and get MALFORMED_JSON)')
})

t.test('a multi-byte character split across chunks decodes whole', async t => {
  const line = '{"s":"é😀ж"}'
  for (const chunks of splits(Buffer.from(line + '\n'))) {
    const r = frame(1024, chunks)
    if (r.lines[0] !== line) { t.fail(JSON.stringify(r.lines)); return }
  }
  t.pass('every split decodes the same')
})

t.test('isBlankMessage: WebSocket messages', async t => {
  for (const m of ['', ' ', '\r\n', '\t \n ']) t.ok(isBlankMessage(m), JSON.stringify(m))
  for (const m of ['{}', ' x', '\x00', '\u00a0']) t.notOk(isBlankMessage(m), JSON.stringify(m))
})
