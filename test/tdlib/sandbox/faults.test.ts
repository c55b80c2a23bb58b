import t from 'tap'
import { createSandboxBackend } from '../../../src/tdlib/sandbox/index.js'
import type { TdObject } from '../../../src/tdlib/backend.js'
import { SEED, connectionUpdate, loginUser, problems, start, tempRoot, text, textOf } from './fixtures/harness.js'

const root = tempRoot()
t.teardown(root.cleanup)

/** Lets the event loop run a few turns: enough for any request the sandbox would answer at once. */
async function settle (): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise(resolve => setImmediate(resolve))
}

t.test('catch-up: updates for a closed session are queued and delivered on return', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const bobDir = root.dir('catchup-bob')
  const bob = await loginUser(sandbox, bobDir, '15550000102', 'secret')
  await bob.close()
  const alice = await loginUser(sandbox, root.dir('catchup-alice'), '15550000101')
  await alice.ok({ '@type': 'searchPublicChat', username: 'bobby' })
  for (const word of ['one', 'two', 'three']) {
    await alice.ok({ '@type': 'sendMessage', chat_id: 102, input_message_content: text(word) })
  }
  await alice.next(u => u['@type'] === 'updateMessageSendSucceeded' && textOf(u.message as TdObject) === 'three')
  t.ok(sandbox.world.queuedUpdates(bobDir) >= 3, 'the updates wait for Bob')

  const back = await start(sandbox, bobDir)
  await back.next(connectionUpdate('connectionStateReady'))
  const flow = back.typesSince(0).filter(x => x !== 'updateOption')
  t.same(flow.slice(0, 4), ['auth:WaitTdlibParameters', 'conn:Connecting', 'auth:Ready', 'conn:Updating'])
  t.equal(flow[flow.length - 1], 'conn:Ready')
  const delivered = back.updates.filter(u => u['@type'] === 'updateNewMessage').map(u => textOf(u.message as TdObject))
  t.same(delivered, ['one', 'two', 'three'], 'in order, between Updating and Ready')
  t.equal(sandbox.world.queuedUpdates(bobDir), 0)
  await back.close()
  await alice.close()
})

t.test('catch-up is bounded: the oldest updates go first', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const bobDir = root.dir('bounded-bob')
  const bob = await loginUser(sandbox, bobDir, '15550000102', 'secret')
  await bob.close()
  const texts = Array.from({ length: 6000 }, (_, i) => `n${i}`)
  sandbox.world.injectMessages(101, 102, texts)
  t.ok(sandbox.world.queuedUpdates(bobDir) <= 10_000, 'no more than 10000 updates are kept')
  const back = await start(sandbox, bobDir)
  await back.next(connectionUpdate('connectionStateReady'))
  const delivered = back.updates.filter(u => u['@type'] === 'updateNewMessage').map(u => textOf(u.message as TdObject))
  t.equal(delivered[delivered.length - 1], 'n5999', 'the newest survive')
  t.not(delivered[0], 'n0', 'the oldest were dropped')
  await back.close()
})

t.test('FLOOD_WAIT on demand, by user and by session, for chosen methods', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const alice = await loginUser(sandbox, root.dir('flood-alice'), '15550000101')
  await alice.ok({ '@type': 'searchPublicChat', username: 'bobby' })
  sandbox.faults.floodWait({ userId: 101 }, 7, 2, ['sendMessage'])
  const send = { '@type': 'sendMessage', chat_id: 102, input_message_content: text('spam') }
  t.same(await alice.invoke(send), { '@type': 'error', code: 429, message: 'Too Many Requests: retry after 7' })
  t.match(await alice.ok({ '@type': 'getMe' }), { id: 101 }, 'other methods pass')
  t.same(await alice.invoke(send), { '@type': 'error', code: 429, message: 'Too Many Requests: retry after 7' })
  t.match(await alice.ok(send), { '@type': 'message' }, 'after `count` refusals requests pass again')

  sandbox.faults.floodWait({ sessionId: alice.name }, 3)
  t.same(await alice.invoke({ '@type': 'searchPublicChat', username: 'dan_d' }), { '@type': 'error', code: 429, message: 'Too Many Requests: retry after 3' })
  t.match(await alice.ok({ '@type': 'getChat', chat_id: 102 }), { id: 102 }, 'local methods are never refused')
  await alice.ok({ '@type': 'searchPublicChat', username: 'dan_d' })
  await alice.close()
})

t.test('network drop: Connecting, requests and updates held, then Ready and what was held', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const alice = await loginUser(sandbox, root.dir('drop-alice'), '15550000101')
  const bob = await loginUser(sandbox, root.dir('drop-bob'), '15550000102', 'secret')
  await alice.ok({ '@type': 'searchPublicChat', username: 'bobby' })
  alice.skip()
  bob.skip()
  const mark = bob.updates.length

  const restored = sandbox.faults.networkDrop()
  await alice.next(connectionUpdate('connectionStateConnecting'))
  await bob.next(connectionUpdate('connectionStateConnecting'))
  let answered = false
  const sending = alice.ok({ '@type': 'sendMessage', chat_id: 102, input_message_content: text('while offline') }).then(m => { answered = true; return m })
  sandbox.world.injectMessages(104, 102, ['from Dan'])
  t.match(await alice.ok({ '@type': 'getMe' }), { id: 101 }, 'local requests still answer')
  await settle()
  t.notOk(answered, 'network requests wait')
  t.notOk(bob.updates.some(u => u['@type'] === 'updateNewMessage'), 'updates wait')

  sandbox.faults.networkRestore()
  await restored
  t.match(await sending, { '@type': 'message' })
  await bob.next(connectionUpdate('connectionStateReady'))
  const after = bob.typesSince(mark)
  t.same(after.slice(0, 2), ['conn:Connecting', 'conn:Ready'], 'no Updating: nothing was missed, only delayed')
  t.ok(after.indexOf('updateNewMessage') > after.indexOf('conn:Ready'), 'held updates follow Ready')
  await bob.next(u => u['@type'] === 'updateNewMessage' && textOf(u.message as TdObject) === 'while offline')

  await sandbox.faults.networkDrop(1)
  await alice.next(connectionUpdate('connectionStateReady'))
  t.pass('a timed drop ends by itself')
  await alice.close()
  await bob.close()
})

t.test('latency delays network requests without changing answers', async t => {
  const sandbox = createSandboxBackend({ world: SEED, latencyMs: 2 })
  const alice = await loginUser(sandbox, root.dir('slow-alice'), '15550000101')
  t.match(await alice.ok({ '@type': 'searchPublicChat', username: 'bobby' }), { id: 102 })
  sandbox.faults.latency(0)
  t.match(await alice.ok({ '@type': 'searchPublicChat', username: 'dan_d' }), { id: 104 })
  t.throws(() => sandbox.faults.latency(-1), RangeError)
  await alice.close()
})

t.test('every update and answer above matches TDLib 1.8.65', async t => {
  t.same(problems, [])
})
