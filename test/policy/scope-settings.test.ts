/** The scope keys of issue 11 in settings: login, account and options are checked, and become the policy. */
import t from 'tap'
import { ClientDirectory } from '../../src/clients/directory.js'
import { settingsFromObject } from '../../src/settings/load.js'
import { SettingsError } from '../../src/settings/errors.js'

const hash = `scrypt$N=1024,r=8,p=1$${'A'.repeat(22)}$${'B'.repeat(43)}`
const base = { tdlib: { api_id: 1, api_hash: '0123456789abcdef0123456789abcdef' }, allowed_requests: ['getMe', 'setOption'], allowed_updates: [] }

function problems (scope: unknown): string[] {
  try {
    settingsFromObject({ ...base, clients: [{ name: 'a', key_hash: hash, scope }] }, '/x')
  } catch (e) {
    if (e instanceof SettingsError) return [...e.problems]
    throw e
  }
  return []
}

t.test('the keys are checked', async t => {
  t.same(problems({ login: true, account: false, options: ['online'] }), [])
  t.equal(problems({ login: 'yes' }).length, 1, 'login is a boolean')
  t.equal(problems({ account: 1 }).length, 1, 'account is a boolean')
  t.equal(problems({ options: 'online' }).length, 1, 'options is a list')
  t.equal(problems({ options: [''] }).length, 1, 'of non-empty names')
  t.match(problems({ option: [] })[0], /unknown key "option"/)
})

t.test('they become the policy, with defaults that depend on chats', async t => {
  const settings = settingsFromObject({
    ...base,
    clients: [
      { name: 'backend', key_hash: hash },
      { name: 'desk', key_hash: hash, scope: { chats: [10] } },
      { name: 'login-desk', key_hash: hash, scope: { chats: [10], login: true, account: true, options: ['online'] } }
    ]
  }, '/x')
  const dir = new ClientDirectory(settings)
  const policy = (name: string) => {
    const p = dir.byName(name)?.policy
    if (p === undefined) throw new Error(`no client ${name}`)
    return p
  }
  t.match(policy('backend'), { login: true, account: false, seen: undefined })
  t.equal(policy('backend').allowsOption('online'), true)
  t.equal(policy('backend').allowsOption('language_pack_database_path'), false)
  t.match(policy('desk'), { login: false, account: false })
  t.ok(policy('desk').seen !== undefined, 'a chat-scoped client remembers the files it was shown')
  t.equal(policy('desk').allowsOption('online'), false)
  t.match(policy('login-desk'), { login: true, account: true })
  t.equal(policy('login-desk').allowsOption('online'), true)
  t.equal(policy('login-desk').allowsOption('ignore_background_updates'), false)
})
