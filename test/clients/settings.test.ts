/** The clients list in settings: what is refused, what is warned about, defaults. */
import t from 'tap'
import { settingsFromObject } from '../../src/settings/load.js'
import { SettingsError } from '../../src/settings/errors.js'
import { settingsWarnings } from '../../src/settings/warnings.js'

const hash = `scrypt$N=1024,r=8,p=1$${'A'.repeat(22)}$${'B'.repeat(43)}`
const base = { tdlib: { api_id: 1, api_hash: '0123456789abcdef0123456789abcdef' }, allowed_requests: ['getMe', 'sendMessage'], allowed_updates: ['updateNewMessage'] }

function problems (clients: unknown): string[] {
  try {
    settingsFromObject({ ...base, clients }, '/x')
  } catch (e) {
    if (e instanceof SettingsError) return [...e.problems]
    throw e
  }
  return []
}

t.test('defaults: every session, may create, every chat, the global lists', async t => {
  const s = settingsFromObject({ ...base, clients: [{ name: 'a', key_hash: hash }] }, '/x')
  t.same(s.clients, [{ name: 'a', key_hash: hash, scope: { sessions: 'all', may_create_sessions: true } }])
  t.equal(s.update_buffer_size, 1000)
  t.equal(s.update_buffer_age, 600)
  t.equal(settingsFromObject({ ...base, audit_file: 'log/audit.jsonl' }, '/srv/tdbroker').audit_file, '/srv/tdbroker/log/audit.jsonl', 'audit_file is a path relative to the settings folder')
})

t.test('mistakes are refused, each with its JSON path', async t => {
  t.same(problems([{ name: 'a' }]), ['/clients/0: needs key_hash or certificate, or the client could never prove who it is (got {"name":"a","scope":{"sessions":"all"...)'])
  t.same(problems([{ name: 'a', key_hash: hash }, { name: 'a', certificate: { subject_cn: 'x' } }]), ['/clients/1/name: "a" is already the name of /clients/0'])
  t.same(problems([{ name: 'a', certificate: { fingerprint256: 'ab'.repeat(32) } }, { name: 'b', certificate: { fingerprint256: 'AB:'.repeat(31) + 'AB' } }]),
    ['/clients/1/certificate/fingerprint256: the same certificate already identifies /clients/0'], 'fingerprints compare without case or colons')
  t.same(problems([{ name: 'a', certificate: {} }]), ['/clients/0/certificate: must name fingerprint256 or subject_cn (got {})'])
  t.same(problems([{ name: 'a', key_hash: hash, scope: { sessions: ['12', '../x'] } }]),
    ['/clients/0/scope/sessions: must be "all", "own" or a list of session ids (strings of decimal digits) (got ["12","../x"])'])
  t.same(problems([{ name: 'a', key_hash: hash, scope: { allowed_request: [] } }]), ['/clients/0/scope: unknown key "allowed_request" (did you mean "allowed_requests"?)'])
  t.same(problems([{ name: 'a', key_hash: hash.replace('N=1024', 'N=1000') }]), ['/clients/0/key_hash: N must be a power of two from 1024 to 1048576 (got 1000)'])
  t.same(problems([{ name: 'a', key_hash: 'plain-text-key' }]).length, 1, 'a key instead of a hash')
  t.same(problems([{ name: 'a', key_hash: hash, scope: { chats: ['-100'] } }]).length, 1, 'chat ids are numbers')
})

t.test('warnings: open access, an empty list, scope entries that can never apply', async t => {
  const warnings = (clients: unknown): string[] => settingsWarnings(settingsFromObject({ ...base, ...(clients === undefined ? {} : { clients }) }, '/x'))
  t.match(warnings(undefined), [/^\/clients: not set, so every connection is trusted: anyone who can reach the broker's ports has full access/])
  t.same(warnings([]), ['/clients: is empty, so no connection can authenticate: every request but broker.ping and broker.getVersion is refused'])
  t.same(warnings([{ name: 'a', key_hash: hash, scope: { allowed_requests: ['getMe', 'deleteChat', 'getMee'], allowed_updates: ['updateNewMessage', 'updateUser'] } }]), [
    '/clients/0/scope/allowed_requests/2: getMee is not a TDLib 1.8.65 request type; did you mean getMe?',
    '/clients/0/scope/allowed_requests/1: deleteChat is not in the global allowed_requests, and a scope only narrows it, so this entry never applies',
    '/clients/0/scope/allowed_updates/1: updateUser is not in the global allowed_updates, and a scope only narrows it, so this entry never applies'
  ])
  t.same(warnings([{ name: 'a', key_hash: hash, scope: { sessions: ['123'] } }]),
    ['/clients/0/scope: sessions is a list of ids, so sessions this client creates are not in it: set may_create_sessions to false, or sessions to "own"'])
  t.same(warnings([{ name: 'a', key_hash: hash, scope: { sessions: ['123'], may_create_sessions: false } }]), [])
})
