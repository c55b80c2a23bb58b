/**
 * A node whose last client of a session left stops consuming the session's
 * updates three heartbeats later (it would decode every update for no one),
 * and a client attaching there again with last_seq still gets everything
 * after it: the node builds its view again from the stream.
 */
import t from 'tap'
import { TestClient, type Msg } from '../helpers/client.js'
import { login, twoNodesAndSession, until } from './helpers.js'

const consumed = async (c: TestClient): Promise<string[]> => ((await c.request({ '@type': 'broker.getStatus' })).cluster as Msg).sessions_consumed as string[]

t.test('a node stops consuming a session nobody there is attached to, and resumes it on the next attach', async t => {
  const { a, b, ca, cb, session } = await twoNodesAndSession(t)
  t.equal((await cb.request({ '@type': 'broker.attachSession', session }, 30_000))['@type'], 'broker.attached', 'node b attaches')
  await login(cb, session)
  t.ok((await consumed(cb)).includes(session), 'node b consumes the session while its client is attached')

  const me = await cb.request({ '@type': 'getMe', '@session': session }, 30_000)
  const chat = await cb.request({ '@type': 'createPrivateChat', user_id: me.id, '@session': session }, 30_000)
  const send = async (text: string): Promise<void> => {
    const sent = await ca.request({ '@type': 'sendMessage', chat_id: chat.id, input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text } }, '@session': session }, 30_000)
    if (sent['@type'] !== 'message') throw new Error(JSON.stringify(sent))
  }
  await send('before')
  await cb.waitFor(m => m['@type'] === 'updateNewMessage' && m['@session'] === session, 30_000)
  const last = cb.updates(session).at(-1)?.['@seq'] as number

  t.equal((await cb.request({ '@type': 'broker.detachSession', session }))['@type'], 'broker.detached', 'node b\'s client detaches')
  // heartbeat 0.5 s in these tests: three of them and a tick.
  await until(async () => !(await consumed(cb)).includes(session), 10_000, 'node b to stop consuming the session')
  t.pass('node b stopped consuming once nobody there was attached')
  t.ok((await consumed(ca)).includes(session), 'node a, with its client attached, goes on consuming')

  await send('while nobody on b was attached')
  await ca.waitFor(m => m['@type'] === 'updateNewMessage' && m['@session'] === session && ((m.message as Msg).content as Msg)?.text !== undefined && (((m.message as Msg).content as Msg).text as Msg).text === 'while nobody on b was attached', 30_000)
  const expected = ca.updates(session).filter(m => (m['@seq'] as number) > last).map(m => m['@seq'])

  const before = cb.updates(session).length
  const resumed = await cb.request({ '@type': 'broker.attachSession', session, last_seq: last }, 30_000)
  t.equal((resumed.resume as Msg | undefined)?.complete, true, 'the resume on node b is complete')
  await until(() => cb.updates(session).length >= before + expected.length, 10_000, 'the replay on node b')
  // What came after last_seq, in order (more may follow: the sandbox's updates after a message go on).
  t.same(cb.updates(session).slice(before, before + expected.length).map(m => m['@seq']), expected, 'node b replays every update after last_seq, built again from the stream')
  t.ok((await consumed(cb)).includes(session), 'and consumes the session again')
})
