/**
 * request_peers paths: every element of a list field and nested fields are
 * resolved; a setting naming a path that can never hold a peer (by TDLib's
 * schema) is a settings error; siptg's file loads as it is; the schema table
 * matches the installed TDLib types.
 */
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { peerPathProblem, valuesAt } from '../../src/resolve/peer-paths.js'
import { MAX_PEERS_PER_REQUEST } from '../../src/resolve/resolve-step.js'
import { loadSettings, SettingsError, settingsFromObject } from '../../src/settings/load.js'
import type { TdObject } from '../../src/tdlib/backend.js'
import { TestClient } from '../helpers/client.js'
import { repoRoot, siptgFixture } from '../settings/fixtures/helpers.js'
import { scratchDir } from '../store/helpers/broker.js'
import { ALICE, BOB, CAROL, DAVE, loginUser, siptgOnSandbox, startSandboxBroker } from './helpers.js'

const base = { tdlib: { api_id: 1, api_hash: 'x', path: 'sessions' }, allowed_requests: ['createNewBasicGroupChat', 'sendMessage'] }
const problems = (peers: Record<string, unknown>): string[] => {
  try {
    settingsFromObject({ ...base, request_peers: peers }, scratchDir())
    return []
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e
    return [...e.problems]
  }
}

t.test('a path that can never hold a peer is a settings error; lists and nested number fields are accepted', async t => {
  t.same(problems({ createNewBasicGroupChat: 'user_ids' }), [], 'a list of user ids')
  t.same(problems({ sendMessage: ['chat_id', 'input_message_content.contact.user_id', 'reply_to.chat_id'], setChatMemberStatus: 'member_id.user_id' }), [], 'nested fields, through unions')
  t.same(problems({ createNewBasicGroupChat: 'title' }), [
    `/request_peers/createNewBasicGroupChat: createNewBasicGroupChat.title: TDLib 1.8.65 has no number or object field "title" there, so it can never hold a user or chat id`,
  ], 'a string field')
  t.same(problems({ sendMessage: ['chat_id', 'input_message_content'] }), [
    '/request_peers/sendMessage/1: sendMessage.input_message_content holds an object, not an id; name a number field inside it',
  ])
  t.match(problems({ sendMessage: 'input_message_content.text.text' }), [/sendMessage\.input_message_content\.text\.text: TDLib 1\.8\.65 has no number or object field "text" there/])
  t.match(problems({ getUser: 'user_id.id' }), [/getUser\.user_id is a number, so it has no field id/])
  t.match(problems({ getSupergroup: 'supergroup_id' }), [/takes a group's own id/])
  t.match(problems({ sendMessage: 'chat id' }), [/"chat id" is not a field name or a dotted path/])
  t.equal(peerPathProblem('receiveCall', 'call_id'), undefined, 'a request TDLib lacks is only warned about (siptg lists receiveCall)')
})

t.test("siptg's settings file loads unchanged", async t => {
  const s = loadSettings(siptgFixture)
  t.same(s.request_peers.getInlineQueryResults, ['bot_user_id', 'chat_id'])
  t.same(Object.keys(s.request_peers), ['sendMessage', 'getInlineQueryResults', 'sendInlineQueryResultMessage', 'createCall', 'getUser'])
})

t.test('every element of a list and nested fields are resolved in the session', async t => {
  const raw = siptgOnSandbox()
  const b = await startSandboxBroker(scratchDir(), {
    ...raw,
    allowed_requests: [...raw.allowed_requests as string[], 'createNewBasicGroupChat', 'getContacts'],
    request_peers: { ...raw.request_peers as object, createNewBasicGroupChat: 'user_ids', sendMessage: ['chat_id', 'input_message_content.contact.user_id'] },
  })
  t.teardown(b.stop)
  const client = await TestClient.connect(b.port)
  t.teardown(() => { client.close() })
  const alice = await loginUser(client, ALICE.phone)
  await client.request({ '@type': 'getContacts', '@session': alice }) // Alice's session now knows Carol, a contact

  const created = await client.request({ '@type': 'createNewBasicGroupChat', user_ids: ['@bob_baker', DAVE.phone, CAROL.id], title: 'Team', '@session': alice })
  t.equal(created['@type'], 'createdBasicGroupChat', JSON.stringify(created))
  t.same(b.seen.find(r => r['@type'] === 'createNewBasicGroupChat')?.user_ids, [BOB.id, DAVE.id, CAROL.id], 'TDLib got ids; the id passed untouched')

  client.send({ '@type': 'sendMessage', chat_id: '@bob_baker', input_message_content: { '@type': 'inputMessageContact', contact: { '@type': 'contact', phone_number: '', first_name: 'Dave', last_name: '', vcard: '', user_id: '@dave_d' } }, '@session': alice, '@extra': 'contact' })
  await client.waitFor(m => m['@extra'] === 'contact')
  const sent = b.seen.find(r => r['@type'] === 'sendMessage' && (r.input_message_content as TdObject)['@type'] === 'inputMessageContact')
  t.equal(sent?.chat_id, BOB.id)
  t.equal(((sent?.input_message_content as TdObject).contact as TdObject).user_id, DAVE.id, 'the nested user_id was resolved')

  const before = b.seen.length
  const bad = await client.request({ '@type': 'createNewBasicGroupChat', user_ids: ['@bob_baker', 'not a peer'], title: 'x', '@session': alice })
  t.equal(bad.message, 'PEER_INVALID: createNewBasicGroupChat.user_ids[1] "not a peer" is not an id, a username (@name) or a phone number (+79991234567)', 'the element is named')
  const many = await client.request({ '@type': 'createNewBasicGroupChat', user_ids: Array.from({ length: MAX_PEERS_PER_REQUEST + 1 }, () => '@bob_baker'), title: 'x', '@session': alice })
  t.equal(many.message, `PEER_INVALID: more than ${MAX_PEERS_PER_REQUEST} usernames and phone numbers to resolve in one createNewBasicGroupChat; send ids for the rest`)
  t.equal(b.seen.length, before, 'neither reached TDLib')
})

const typesInstalled = (() => {
  try { createRequire(import.meta.url).resolve('@prebuilt-tdlib/types/tdlib-types.d.ts'); return true } catch { return false }
})()

t.test('src/tdlib/input-fields.ts matches the installed TDLib types', { skip: typesInstalled ? false : '@prebuilt-tdlib/types is not installed' }, async t => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'scripts/gen-input-fields.mjs'), '--check'], { encoding: 'utf8' })
  t.equal(r.status, 0, r.stderr || 'the generated file is up to date')
})

t.test('lists nested beyond any TDLib field are not walked: deep input cannot exhaust the stack', async t => {
  let deep: unknown = '@bob_baker'
  for (let i = 0; i < 200_000; i++) deep = [deep]
  t.same(valuesAt({ '@type': 'createNewBasicGroupChat', user_ids: deep }, 'user_ids'), [], 'nothing found, nothing thrown')
  t.same(valuesAt({ '@type': 'createNewBasicGroupChat', user_ids: [['@a_name']] }, 'user_ids').map(f => f.where), ['createNewBasicGroupChat.user_ids[0][0]'])
})
