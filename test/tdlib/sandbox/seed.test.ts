import t from 'tap'
import { writeFileSync } from 'node:fs'
import {
  SandboxSeedError, createSandboxBackend, defaultWorldPath, loadSeedFile, validateSeed,
} from '../../../src/tdlib/sandbox/index.js'
import { tempRoot } from './fixtures/harness.js'

const root = tempRoot()
t.teardown(root.cleanup)

t.test('the shipped demo world loads and holds the documented accounts', async t => {
  const seed = loadSeedFile(defaultWorldPath())
  t.ok(defaultWorldPath().endsWith('sandbox/world.json'))
  const sandbox = createSandboxBackend()
  t.equal(sandbox.world.userId('@alice'), 1000001)
  t.equal(sandbox.world.loginCode('+1 555 000 1001'), '12345')
  t.equal(sandbox.world.loginCode(1000004), '22222')
  t.equal(sandbox.world.emailCode(1000003), '123456')
  t.equal(sandbox.world.userId('echo_sandbox_bot'), 7000001)
  t.same(seed.bots?.map(b => b.token), ['7000001:sandbox-echo-bot-token', '7000002:sandbox-inline-bot-token'])
  t.same(seed.users?.find(u => u.id === 1000002)?.password, 'sandbox')
})

t.test('every problem of a seed is listed, with its place', async t => {
  const bad = {
    users: [
      { id: 1, phone: '15550000001', first_name: 'A', username: 'same_bot', contacts: [99] },
      { id: 1, phone: '+15550000001', first_name: 'B' },
      { id: 777000, phone: '15550000003', first_name: 'T' },
    ],
    bots: [{ id: 5, username: 'Same_Bot', token: '6:abc', first_name: 'Bot' }],
    supergroups: [{ id: 9, title: 'G', creator: 5, members: [42] }],
  }
  const error = t.throws(() => validateSeed(bad, 'test seed')) as SandboxSeedError
  t.type(error, SandboxSeedError)
  t.match(error.message, /^invalid sandbox world \(test seed\):/)
  t.same(error.problems.sort(), [
    '$.bots[0].token: must start with the bot\'s id, "5:"',
    '$.bots[0].username: "Same_Bot" is already taken',
    '$.supergroups[0].creator: a bot can\'t create groups',
    '$.supergroups[0].members[0]: no user or bot with id 42',
    '$.users[0].contacts[0]: no user or bot with id 99',
    '$.users[1].id: 1 is already used by $.users[0]',
    '$.users[1].phone: +15550000001 is already used',
    '$.users[2].id: 777000 is the built-in "Telegram" service account',
  ].sort())
})

t.test('shape errors name the key: unknown keys, bad phones, bot names', async t => {
  const error = t.throws(() => validateSeed({
    users: [{ id: 1, phone: 'call me', first_name: 'A', pasword: 'typo' }],
    bots: [{ id: 2, username: 'helper', token: '2:x', first_name: 'H' }],
    extra: true,
  })) as SandboxSeedError
  t.ok(error.problems.includes('$: unknown key "extra"'))
  t.ok(error.problems.includes('$.users[0]: unknown key "pasword"'))
  t.ok(error.problems.some(p => p.startsWith('$.users[0].phone: must match pattern')))
  t.ok(error.problems.some(p => p.startsWith('$.bots[0].username: a username is 5 to 32')))
})

t.test('seed files: unreadable and invalid JSON are clear errors; a path works as the world option', async t => {
  t.throws(() => loadSeedFile(root.dir('missing.json')), /can't read the file/)
  const broken = root.dir('broken.json')
  writeFileSync(broken, '{ "users": [ }')
  t.throws(() => createSandboxBackend({ world: broken }), /not valid JSON/)
  const good = root.dir('good.json')
  writeFileSync(good, JSON.stringify({ users: [{ id: 7, phone: '15550000007', first_name: 'Seven' }] }))
  t.equal(createSandboxBackend({ world: good }).world.userId('15550000007'), 7)
})
