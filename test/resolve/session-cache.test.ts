/**
 * The cache does not leak across sessions: an id another session resolved
 * is only a hint, used when this session's own TDLib shows that it fits.
 * A session that is not logged in gets TDLib's 401, not the other session's
 * answer; a session that knows the user but cannot see their number looks
 * the number up itself, so Telegram's privacy rules apply to it.
 */
import t from 'tap'
import { TestClient } from '../helpers/client.js'
import { scratchDir } from '../store/helpers/broker.js'
import { ALICE, CAROL, DAVE, authState, loginUser, siptgOnSandbox, startSandboxBroker } from './helpers.js'

const ERIN = { id: 1000099, phone: '15550009998', username: 'erin_e' }

t.test("another session's resolution is never an answer on its own", async t => {
  const b = await startSandboxBroker(scratchDir(), siptgOnSandbox())
  t.teardown(b.stop)
  b.world.addUser({ id: ERIN.id, phone: ERIN.phone, first_name: 'Erin', username: ERIN.username })
  const client = await TestClient.connect(b.port)
  t.teardown(() => { client.close() })
  const alice = await loginUser(client, ALICE.phone)
  t.match(await client.request({ '@type': 'getUser', user_id: CAROL.phone, '@session': alice }), { id: CAROL.id })

  // A session that is not logged in: TDLib's own 401, as without the cache.
  const fresh = await client.createSession()
  await client.waitFor(authState(fresh, 'authorizationStateWaitPhoneNumber'))
  const mark = b.backend.calls.length
  const answer = await client.request({ '@type': 'getUser', user_id: CAROL.phone, '@session': fresh })
  t.match(answer, { '@type': 'error', code: 401, message: 'Unauthorized' })
  t.notOk(JSON.stringify(answer).includes(String(CAROL.id)), "Carol's id is not told")
  t.same(b.backend.calls.slice(mark).map(c => [c.session, c.type, c.error ?? 'ok']), [[fresh, 'getUser', '401 Unauthorized']],
    "only the session's own TDLib was asked")

  // Dave's session knows Erin by her public username, but not her number (she is not his contact).
  const dave = await loginUser(client, DAVE.phone, DAVE.code)
  t.match(await client.request({ '@type': 'getUser', user_id: `+${ERIN.phone}`, '@session': alice }), { id: ERIN.id }, 'Alice finds Erin by number: a shared record now says so')
  t.match(await client.request({ '@type': 'getUser', user_id: `@${ERIN.username}`, '@session': dave }), { id: ERIN.id, phone_number: '' })
  const mark2 = b.backend.calls.length
  t.match(await client.request({ '@type': 'getUser', user_id: `+${ERIN.phone}`, '@session': dave }), { id: ERIN.id })
  t.same(b.backend.calls.slice(mark2).map(c => [c.session, c.type]), [
    [dave, 'getUser'],
    [dave, 'searchUserByPhoneNumber'],
    [dave, 'getUser'],
  ], "Dave's TDLib does not show Erin's number, so the record is not trusted: Dave's own lookup decides")
})
