import t from 'tap'
import { createSandboxBackend } from '../../../src/tdlib/sandbox/index.js'
import type { TdObject } from '../../../src/tdlib/backend.js'
import { SEED, type Session, loginUser, problems, tempRoot } from './fixtures/harness.js'

const root = tempRoot()
t.teardown(root.cleanup)

const PROTOCOL = { '@type': 'callProtocol', udp_p2p: true, udp_reflector: true, min_layer: 65, max_layer: 92, library_versions: ['4.0.0'] }

/** The next updateCall's call object. */
async function nextCall (s: Session): Promise<TdObject> {
  return (await s.next('updateCall')).call as TdObject
}

function stateOf (call: TdObject): TdObject {
  return call.state as TdObject
}

t.test('a call: created, received, accepted, signalling both ways, hung up', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const alice = await loginUser(sandbox, root.dir('call-alice'), '15550000101')
  const dan = await loginUser(sandbox, root.dir('call-dan'), '15550000104')
  await alice.ok({ '@type': 'searchPublicChat', username: 'dan_d' })
  await alice.ok({ '@type': 'searchPublicChat', username: 'keys_bot' })
  t.same(await alice.invoke({ '@type': 'createCall', user_id: 900, protocol: PROTOCOL, is_video: false }),
    { '@type': 'error', code: 400, message: 'USER_IS_BOT' })

  const created = await alice.ok({ '@type': 'createCall', user_id: 104, protocol: PROTOCOL, is_video: false })
  const aliceId = created.id as number
  let call = await nextCall(alice)
  t.match(call, { id: aliceId, user_id: 104, is_outgoing: true, state: { '@type': 'callStatePending', is_created: false, is_received: false } })
  t.match(stateOf(await nextCall(alice)), { '@type': 'callStatePending', is_created: true, is_received: false })
  t.match(stateOf(await nextCall(alice)), { '@type': 'callStatePending', is_created: true, is_received: true })

  const incoming = await nextCall(dan)
  t.match(incoming, { user_id: 101, is_outgoing: false, state: { '@type': 'callStatePending' } })
  t.ok(dan.updates.some(u => u['@type'] === 'updateUser' && (u.user as TdObject).id === 101), 'Dan learns who calls')
  t.equal(incoming.unique_id, call.unique_id, 'both sides share the unique id')
  const danId = incoming.id as number
  t.same(await dan.invoke({ '@type': 'sendCallSignalingData', call_id: danId, data: 'AAAA' }),
    { '@type': 'error', code: 400, message: 'Call is not active' })
  t.same(await alice.invoke({ '@type': 'acceptCall', call_id: aliceId, protocol: PROTOCOL }),
    { '@type': 'error', code: 400, message: 'Call not found' }, 'the caller cannot accept its own call')

  await dan.ok({ '@type': 'acceptCall', call_id: danId, protocol: PROTOCOL })
  t.equal(stateOf(await nextCall(dan))['@type'], 'callStateExchangingKeys')
  t.equal(stateOf(await nextCall(alice))['@type'], 'callStateExchangingKeys')
  const readyDan = stateOf(await nextCall(dan))
  const readyAlice = stateOf(await nextCall(alice))
  t.match(readyAlice, { '@type': 'callStateReady', protocol: { max_layer: 92 }, servers: [{ '@type': 'callServer' }] })
  t.equal(readyAlice.encryption_key, readyDan.encryption_key, 'one key for both sides')
  t.same(readyAlice.emojis, readyDan.emojis)
  t.equal((readyAlice.emojis as string[]).length, 4)

  const blob = Buffer.from('offer').toString('base64')
  await alice.ok({ '@type': 'sendCallSignalingData', call_id: aliceId, data: blob })
  t.same(await dan.next('updateNewCallSignalingData'), { '@type': 'updateNewCallSignalingData', call_id: danId, data: blob })
  await dan.ok({ '@type': 'sendCallSignalingData', call_id: danId, data: 'YW5zd2Vy' })
  t.same(await alice.next('updateNewCallSignalingData'), { '@type': 'updateNewCallSignalingData', call_id: aliceId, data: 'YW5zd2Vy' })

  await alice.ok({ '@type': 'discardCall', call_id: aliceId, is_disconnected: false, invite_link: '', duration: 12, is_video: false, connection_id: '0' })
  t.equal(stateOf(await nextCall(alice))['@type'], 'callStateHangingUp')
  call = await nextCall(alice)
  t.match(call.state, { '@type': 'callStateDiscarded', reason: { '@type': 'callDiscardReasonHungUp' }, need_rating: true })
  t.match(stateOf(await nextCall(dan)), { '@type': 'callStateDiscarded', reason: { '@type': 'callDiscardReasonHungUp' } })
  t.same(await alice.invoke({ '@type': 'discardCall', call_id: aliceId }), { '@type': 'error', code: 400, message: 'Call not found' })
  await alice.close()
  await dan.close()
})

t.test('a call declined by the callee is discarded as declined on both sides', async t => {
  const sandbox = createSandboxBackend({ world: SEED })
  const alice = await loginUser(sandbox, root.dir('decline-alice'), '15550000101')
  const dan = await loginUser(sandbox, root.dir('decline-dan'), '15550000104')
  await alice.ok({ '@type': 'searchUserByPhoneNumber', phone_number: '15550000104' })
  await alice.ok({ '@type': 'createCall', user_id: 104, protocol: PROTOCOL, is_video: true })
  const incoming = await nextCall(dan)
  t.equal(incoming.is_video, true)
  await dan.ok({ '@type': 'discardCall', call_id: incoming.id })
  t.equal(stateOf(await nextCall(dan))['@type'], 'callStateHangingUp')
  t.match(stateOf(await nextCall(dan)), { reason: { '@type': 'callDiscardReasonDeclined' }, need_rating: false })
  const ended = await alice.next(u => u['@type'] === 'updateCall' && stateOf(u.call as TdObject)['@type'] === 'callStateDiscarded')
  t.match(stateOf(ended.call as TdObject), { reason: { '@type': 'callDiscardReasonDeclined' } }, 'the caller hears it was declined')
  await alice.close()
  await dan.close()
})

t.test('every update and answer above matches TDLib 1.8.65', async t => {
  t.same(problems, [])
})
