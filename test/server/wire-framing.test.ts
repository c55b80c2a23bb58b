/**
 * LineFramer (issue 10 point 10): max_frame_size does not count the \r of a
 * CRLF line, blank lines are skipped like empty ones, and splitting the
 * stream at any byte gives the same lines.
 */
import t from 'tap'
import { isBlankMessage, LineFramer } from '../../src/server/framing.js'
import { startBroker } from '../helpers/broker.js'
import { tcpPeer, wsPeer } from '../helpers/raw-peer.js'

/** Feeds the chunks to a framer; returns the lines and the oversize reports. */
function frame (max: number, chunks: Buffer[]): { lines: string[], oversize: number[] } {
  const lines: string[] = []
  const oversize: number[] = []
  const framer = new LineFramer(max, { line: l => { lines.push(l) }, oversize: s => { oversize.push(s) } })
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

t.test('on a real broker: a CRLF line of exactly max_frame_size is served, blank lines and messages get no answer', async t => {
  const b = await startBroker({ max_frame_size: 1024, websocket: { host: '127.0.0.1', port: 0 } })
  t.teardown(b.stop)
  const head = '{"@type":"broker.ping","@extra":"full","pad":"'
  const exact = head + 'x'.repeat(1024 - head.length - 2) + '"}'
  t.equal(Buffer.byteLength(exact), 1024)
  const tcp = await tcpPeer(b.port)
  t.teardown(() => { tcp.close() })
  await tcp.send([' \r\n\t\n  \t \r\n', exact + '\r\n', '{"@type":"broker.ping","@extra":"after"}\r\n'])
  t.ok(await tcp.waitFor((_l, m) => m['@extra'] === 'after'), 'TCP: the line after is answered')
  t.same(tcp.lines, ['{"@type":"broker.pong","@extra":"full"}', '{"@type":"broker.pong","@extra":"after"}'], 'TCP: the full line is served, the blank lines got nothing')

  const ws = await wsPeer(`ws://127.0.0.1:${b.broker.addresses.websocket?.port ?? 0}/`)
  t.teardown(() => { ws.close() })
  await ws.send(['', '  \r\n\t', '{"@type":"broker.ping","@extra":"after"}'])
  t.ok(await ws.waitFor((_l, m) => m['@extra'] === 'after'), 'WebSocket: the message after is answered')
  t.same(ws.lines, ['{"@type":"broker.pong","@extra":"after"}'], 'WebSocket: empty and blank messages got nothing')
})
