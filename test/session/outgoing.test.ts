/**
 * OutgoingUpdate (src/session/outgoing.ts): what every connection an update
 * goes to asks of it. Its verdict for a policy is worked out once per policy
 * in a row and never handed to another policy; its wire line is made once.
 */
import t from 'tap'
import { OutgoingUpdate } from '../../src/session/outgoing.js'

const update = (): OutgoingUpdate => new OutgoingUpdate('s1', 7, {
  '@type': 'updateNewMessage',
  message: { '@type': 'message', id: 1, chat_id: 42, content: { '@type': 'messageText', text: { '@type': 'formattedText', text: 'hi', entities: [] } } }
})

t.test('a policy is judged once per update while the connections that ask share it', async t => {
  const out = update()
  const open = { name: 'open' }
  const scoped = { name: 'scoped', chat: 43 }
  const judged: string[] = []
  const judge = (policy: { name: string, chat?: number }, u: OutgoingUpdate): boolean => {
    judged.push(policy.name)
    return policy.chat === undefined || policy.chat === u.chatId
  }
  for (let i = 0; i < 5; i++) t.equal(out.acceptedBy(open, judge), true, 'the open policy lets it through')
  t.same(judged, ['open'], 'five connections of one policy: one judgement')
  t.equal(out.acceptedBy(scoped, judge), false, 'a policy scoped to another chat does not: its own verdict, not the last one')
  t.equal(out.acceptedBy(scoped, judge), false)
  t.equal(out.acceptedBy(open, judge), true, 'back to the first policy: judged again, the same verdict')
  t.same(judged, ['open', 'scoped', 'open'])
  const other = update()
  t.equal(other.acceptedBy(scoped, judge), false, 'another update is judged for itself')
  t.same(judged, ['open', 'scoped', 'open', 'scoped'])
})

t.test('an update carries the time it was made, read once for every connection', async t => {
  const first = update()
  await new Promise(resolve => setTimeout(resolve, 5))
  const second = update()
  t.ok(second.at - first.at >= 4, `made 5 ms apart, their times say so (${second.at - first.at} ms)`)
  const at = first.at
  first.line()
  t.equal(first.at, at, 'reading it changes nothing')
})

t.test('the wire line is the update with the session and sequence number, made once', async t => {
  const out = update()
  const line = out.line()
  t.same(JSON.parse(line), { ...out.update, '@session': 's1', '@seq': 7 })
  t.equal(out.line(), line)
  t.equal(out.lineWithoutPaths(), line, 'no local path in it: the same line')
})
