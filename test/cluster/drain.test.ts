/**
 * `tdbroker drain NODE`: every session of the node moves to another node,
 * logged in still; clients (on the drained node and elsewhere) go on with
 * nothing lost and nothing twice; new sessions avoid the drained node.
 */
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ALWAYS_ALLOWED_UPDATES } from '../../src/policy/policy.js'
import { tempDir } from '../helpers/broker.js'
import { CLI, ROOT, runCommand } from '../helpers/cli.js'
import { TestClient, type Msg } from '../helpers/client.js'
import { UPDATES, compareWithStream, freshPrefix, login, settled, startNode, streamTally, until } from './helpers.js'

const accepts = (type: string): boolean => ALWAYS_ALLOWED_UPDATES.has(type) || UPDATES.includes(type)
const ownerOf = (x: { broker: { registry: { get(id: string): unknown } } }, id: string): string | undefined => (x.broker.registry.get(id) as { owner?: string } | undefined)?.owner

t.test('drain moves every session off a node', async t => {
  const prefix = freshPrefix()
  const a = await startNode(prefix, 'a')
  t.teardown(async () => { await a.stop() })
  const b = await startNode(prefix, 'b')
  t.teardown(async () => { await b.stop() })
  await until(() => (b.broker.statusExtras().cluster as { nodes: unknown[] }).nodes.length === 2, 10_000, 'both nodes to know each other')

  const ca = await TestClient.connect(a.port)
  const cb = await TestClient.connect(b.port)
  t.teardown(() => { ca.close(); cb.close() })
  const session = await ca.createSession()
  await login(ca, session)
  await until(() => ownerOf(b, session) === 'a', 10_000, 'node b to see node a own the session')
  t.equal((await cb.request({ '@type': 'broker.attachSession', session }, 30_000))['@type'], 'broker.attached')
  const me = await ca.request({ '@type': 'getMe', '@session': session }, 30_000)
  const send = async (c: TestClient, text: string): Promise<Msg> => await c.request({ '@type': 'sendMessage', chat_id: me.id, input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text } }, '@session': session }, 30_000)
  for (let i = 0; i < 10; i++) t.equal((await send(ca, `before ${i}`))['@type'], 'message')

  const dir = tempDir()
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ tdlib: { backend: 'sandbox' }, cluster: { node: 'operator', prefix } }))
  const out = await runCommand(process.execPath, [CLI, 'drain', 'a', '--settings', join(dir, 'settings.json')], ROOT, 90_000)
  t.match(out, /^node a drained: 1 session moved \(\d+\)$/m, 'tdbroker drain says what it moved')
  await until(() => ownerOf(b, session) === 'b', 30_000, 'node b to run the session')

  // Still logged in (the clean stop's backup), and served through both nodes.
  const state = await cb.request({ '@type': 'getAuthorizationState', '@session': session }, 30_000)
  t.equal(state['@type'], 'authorizationStateReady', 'the moved session is still logged in')
  await cb.request({ '@type': 'createPrivateChat', user_id: me.id, '@session': session }, 30_000)
  for (let i = 0; i < 10; i++) t.equal((await send(i % 2 === 0 ? ca : cb, `after ${i}`))['@type'], 'message')

  const tally = await streamTally('nats://127.0.0.1:4222', prefix, session)
  const { stream, received } = await settled(tally, [() => ca.updates(session), () => cb.updates(session)], accepts, 30_000).finally(async () => { await tally.close() })
  t.ok(stream.length >= 20, `the stream holds ${stream.length} updates`)
  for (const [i, name] of ['client on the drained node', 'client on node b'].entries()) {
    const { duplicated, lost, invented } = compareWithStream(received[i] ?? [], stream, accepts)
    t.equal(duplicated, 0, `${name}: no update twice`)
    t.same(lost, [], `${name}: no update lost`)
    t.same(invented, [], `${name}: nothing that was not published`)
  }

  const next = await ca.createSession()
  await until(() => ownerOf(a, next) !== undefined, 30_000, 'the new session to run')
  t.equal(ownerOf(a, next), 'b', 'a new session goes to a node that is not draining')
})
