/** Warnings about local_files folders that can never allow a file. */
import t from 'tap'
import { settingsFromObject } from '../../src/settings/load.js'
import { settingsWarnings } from '../../src/settings/warnings.js'

const credentials = { api_id: 12345, api_hash: '0123456789abcdef0123456789abcdef' }
const KEY_HASH = 'scrypt$N=16384,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'
const warningsOf = (obj: Record<string, unknown>): string[] =>
  settingsWarnings(settingsFromObject({ allowed_requests: ['getMe'], ...obj, tdlib: credentials }, '/x'))
    .filter(w => w.includes('local_files'))

t.test('a folder inside the settings folder or tdlib.path is reported; others are not', async t => {
  t.same(warningsOf({ local_files: ['/srv/up', 'uploads'] }), [
    '/local_files/1: /x/uploads is inside /x, which the broker keeps from clients, so no file from it is ever allowed'
  ], 'relative paths are taken from the settings folder, which is the broker\'s own')
  t.same(warningsOf({}), [])
})

t.test('a scope whose folders lie outside the global ones is reported', async t => {
  const clients = [
    { name: 'narrow', key_hash: KEY_HASH, scope: { local_files: ['/srv/up/narrow'] } },
    { name: 'outside', key_hash: KEY_HASH, scope: { local_files: ['/home'] } }
  ]
  t.same(warningsOf({ local_files: ['/srv/up'], clients }), [
    '/clients/1/scope/local_files: no folder is within the global local_files, so this client may name no local file'
  ])
})
