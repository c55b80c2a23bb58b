/**
 * Forwarded TDLib requests: the line a client gets through another node is
 * the very line it gets through the owner (answers and TDLib errors, with its
 * own @extra); and what arrives on a node's request subject that is not a
 * node's request is answered with a failure or an error, the node going on serving.
 */
import t from 'tap'
import { connect } from '@nats-io/transport-node'
import type { TestClient, Msg } from '../helpers/client.js'
import { login, twoNodesAndSession } from './helpers.js'

/** Sends `line` and resolves with the raw answer line carrying `extra` (as the socket delivered it). */
async function rawAnswer (c: TestClient, line: string, extra: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    let text = ''
    const timer = setTimeout(() => { c.socket.off('data', take); reject(new Error(`no answer with @extra ${extra}; got ${text.slice(-500)}`)) }, 30_000)
    const take = (chunk: string): void => {
      text += chunk
      const found = text.split('\n').find(l => l.includes(`"@extra":"${extra}"`))
      if (found === undefined) return
      clearTimeout(timer)
      c.socket.off('data', take)
      resolve(found)
    }
    c.socket.on('data', take)
    c.sendRaw(line + '\n')
  })
}

t.test('an answer through another node is the line the owner node sends', async t => {
  const { a, ca, cb, session } = await twoNodesAndSession(t)
  t.equal((a.broker.registry as unknown as { node: { leaseHolder(id: string): string | undefined } }).node.leaseHolder(session), 'a', 'node a runs the session')
  t.equal((await cb.request({ '@type': 'broker.attachSession', session }, 30_000))['@type'], 'broker.attached', 'node b attaches')
  await login(ca, session)

  const requests = [
    { '@type': 'getMe' },
    { '@type': 'testSquareInt', x: 12 },
    // A TDLib error answer passes alike.
    { '@type': 'getOption', name: '' }
  ]
  let n = 0
  for (const r of requests) {
    const extra = `x${n++}`
    const line = JSON.stringify({ ...r, '@session': session, '@extra': extra })
    const direct = await rawAnswer(ca, line, extra)
    const forwarded = await rawAnswer(cb, line, extra)
    t.equal(forwarded, direct, `${r['@type']}: the same line through node b as through node a`)
    t.ok((JSON.parse(direct) as Msg)['@type'] !== undefined, `${r['@type']} was answered (${direct.slice(0, 80)})`)
  }
})

t.test('what is not a node\'s request on a node\'s subject is answered with a failure or an error', async t => {
  const { ca, session, prefix } = await twoNodesAndSession(t)
  const nc = await connect({ servers: 'nats://127.0.0.1:4222' })
  t.teardown(async () => { await nc.close() })
  const ask = async (body: string): Promise<Msg> => (await nc.request(`${prefix}.node.a`, body, { timeout: 10_000 })).json<Msg>()

  t.equal((await ask('not json at all')).ok, false, 'text that is not JSON: a failure')
  t.equal((await ask('null')).ok, false, 'null: a failure')
  t.equal((await ask('{"op":"invoke","session":"nosuch","request":{"@type":"testSquareInt","x":2}}')).error, 'NOT_THERE', 'an invoke for a session not run there: NOT_THERE')
  const noRequest = await ask(`{"op":"invoke","session":"${session}"}`)
  t.match(noRequest, { value: { '@type': 'error', code: 400, message: /no @type/ } }, `an invoke without its request: an error that says so (${JSON.stringify(noRequest)})`)
  t.same(await ask(`{"op":"invoke","session":"${session}","request":{"@type":"testSquareInt","x":5}}`), { ok: true, value: { '@type': 'testInt', value: 25 } }, 'an invoke for a session run there: TDLib\'s answer')

  const after = await ca.request({ '@type': 'testSquareInt', x: 4, '@session': session }, 30_000)
  t.equal(after.value, 16, 'the node goes on serving its clients')
})
