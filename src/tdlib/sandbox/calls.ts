/**
 * One-to-one calls, signalling only (no media): createCall, acceptCall,
 * sendCallSignalingData, discardCall, and updateCall on both sides through
 * Pending -> ExchangingKeys -> Ready -> HangingUp -> Discarded. Each side
 * knows the call by its own id, as with TDLib.
 */
import { createHash, randomBytes } from 'node:crypto'
import { ok, fail, given, int, str, type Req, type Td, type Tl } from './td.js'
import type { ReadyCtx, ReadyHandlers } from './dispatch.js'
import type { Device } from './device.js'
import { knownUser } from './lookups.js'
import type { World } from './world.js'

type CallState = Td<Tl.CallState>
type Side = 'caller' | 'callee'

export interface CallRecord {
  callerId: number
  calleeId: number
  ids: Record<Side, number>
  uniqueId: string
  isVideo: boolean
  protocol: Td<Tl.callProtocol>
  accepted: boolean
  active: boolean
  callerDevice: Device
  /** The callee's device that accepted; until then every callee device rings. */
  calleeDevice: Device | undefined
}

const EMOJIS = ['🍏', '🚀', '🎲', '🐙', '🌵', '🎈', '🧩', '🦊', '🍉', '⚓', '🎻', '🛰️', '🐝', '🌋', '🧲', '🍄']

function protocolOf (protocol: Req<'createCall'>['protocol'] | null): Td<Tl.callProtocol> {
  const input = given(protocol)
  if (input === undefined) return fail(400, 'Call protocol must be non-empty')
  return {
    '@type': 'callProtocol',
    udp_p2p: input.udp_p2p === true,
    udp_reflector: input.udp_reflector === true,
    min_layer: int(input.min_layer),
    max_layer: int(input.max_layer),
    library_versions: (input.library_versions ?? []).map(str),
  }
}

function devicesOf (world: World, rec: CallRecord, side: Side): Iterable<Device> {
  if (side === 'caller') return [rec.callerDevice]
  if (rec.calleeDevice !== undefined) return [rec.calleeDevice]
  return world.accounts.get(rec.calleeId)?.devices ?? []
}

function tell (world: World, rec: CallRecord, side: Side, state: CallState, only?: Iterable<Device>): void {
  const call: Td<Tl.call> = {
    '@type': 'call',
    id: rec.ids[side],
    unique_id: rec.uniqueId,
    user_id: side === 'caller' ? rec.calleeId : rec.callerId,
    is_outgoing: side === 'caller',
    is_video: rec.isVideo,
    state,
  }
  for (const device of only ?? devicesOf(world, rec, side)) device.emit({ '@type': 'updateCall', call })
}

function readyState (rec: CallRecord, key: Buffer): CallState {
  const digest = createHash('sha256').update(key).digest()
  return {
    '@type': 'callStateReady',
    protocol: rec.protocol,
    servers: [{
      '@type': 'callServer',
      id: '1',
      ip_address: '127.0.0.1',
      ipv6_address: '::1',
      port: 3478,
      type: { '@type': 'callServerTypeTelegramReflector', peer_tag: randomBytes(16).toString('base64'), is_tcp: false },
    }],
    config: '{}',
    encryption_key: key.toString('base64'),
    emojis: [0, 1, 2, 3].map(i => EMOJIS[digest[i]! % EMOJIS.length]!),
    allow_p2p: rec.protocol.udp_p2p,
    is_group_call_supported: false,
    custom_parameters: '{}',
  }
}

function discarded (reason: Td<Tl.CallDiscardReason>['@type'], needRating: boolean): CallState {
  return { '@type': 'callStateDiscarded', reason: { '@type': reason } as Td<Tl.CallDiscardReason>, need_rating: needRating, need_debug_information: false, need_log: false }
}

/** The call `me` refers to by its own id, and which side `me` is on. */
function callOf (ctx: ReadyCtx, callId: number): [CallRecord, Side] {
  const rec = ctx.world.calls.get(callId)
  if (rec === undefined) return fail(400, 'Call not found')
  if (rec.ids.caller === callId && rec.callerId === ctx.me.id && rec.callerDevice === ctx.device) return [rec, 'caller']
  if (rec.ids.callee === callId && rec.calleeId === ctx.me.id) return [rec, 'callee']
  return fail(400, 'Call not found')
}

function end (world: World, rec: CallRecord): void {
  rec.active = false
  world.calls.delete(rec.ids.caller)
  world.calls.delete(rec.ids.callee)
}

export const callHandlers: ReadyHandlers = {
  createCall: (ctx, req) => {
    const { world, me, device } = ctx
    if (me.isBot) fail(400, 'BOT_METHOD_INVALID')
    const callee = knownUser(ctx, int(req.user_id))
    if (callee.isBot) fail(400, 'USER_IS_BOT')
    if (callee.id === me.id) fail(400, 'USER_ID_INVALID')
    const rec: CallRecord = {
      callerId: me.id,
      calleeId: callee.id,
      ids: { caller: world.nextCallId(), callee: world.nextCallId() },
      uniqueId: world.nextQueryId(),
      isVideo: req.is_video === true,
      protocol: protocolOf(req.protocol),
      accepted: false,
      active: true,
      callerDevice: device,
      calleeDevice: undefined,
    }
    world.calls.set(rec.ids.caller, rec)
    world.calls.set(rec.ids.callee, rec)
    tell(world, rec, 'caller', { '@type': 'callStatePending', is_created: false, is_received: false })
    world.serverSide(() => {
      if (!rec.active) return
      tell(world, rec, 'caller', { '@type': 'callStatePending', is_created: true, is_received: false })
      const ringing = [...devicesOf(world, rec, 'callee')]
      for (const d of ringing) d.ensureUser(world, me.id)
      tell(world, rec, 'callee', { '@type': 'callStatePending', is_created: true, is_received: true })
      if (ringing.length > 0) tell(world, rec, 'caller', { '@type': 'callStatePending', is_created: true, is_received: true })
    })
    return { '@type': 'callId', id: rec.ids.caller }
  },

  acceptCall: (ctx, req) => {
    const { world, device } = ctx
    const [rec, side] = callOf(ctx, int(req.call_id))
    if (side !== 'callee' || !rec.active) fail(400, 'Call not found')
    if (rec.accepted) fail(400, 'CALL_ALREADY_ACCEPTED')
    protocolOf(req.protocol)
    const others = [...devicesOf(world, rec, 'callee')].filter(d => d !== device)
    rec.accepted = true
    rec.calleeDevice = device
    tell(world, rec, 'callee', discarded('callDiscardReasonEmpty', false), others)
    tell(world, rec, 'callee', { '@type': 'callStateExchangingKeys' })
    tell(world, rec, 'caller', { '@type': 'callStateExchangingKeys' })
    world.serverSide(() => {
      if (!rec.active) return
      const key = randomBytes(256)
      tell(world, rec, 'caller', readyState(rec, key))
      tell(world, rec, 'callee', readyState(rec, key))
    })
    return ok()
  },

  sendCallSignalingData: (ctx, req) => {
    const [rec, side] = callOf(ctx, int(req.call_id))
    if (!rec.accepted || !rec.active) fail(400, 'Call is not active')
    const data = str(req.data)
    const other: Side = side === 'caller' ? 'callee' : 'caller'
    for (const device of devicesOf(ctx.world, rec, other)) {
      device.emit({ '@type': 'updateNewCallSignalingData', call_id: rec.ids[other], data })
    }
    return ok()
  },

  discardCall: (ctx, req) => {
    const { world } = ctx
    const [rec, side] = callOf(ctx, int(req.call_id))
    if (!rec.active) fail(400, 'Call not found')
    const reason = rec.accepted
      ? (req.is_disconnected === true ? 'callDiscardReasonDisconnected' : 'callDiscardReasonHungUp')
      : (side === 'caller' ? 'callDiscardReasonMissed' : 'callDiscardReasonDeclined')
    const other: Side = side === 'caller' ? 'callee' : 'caller'
    const otherDevices = [...devicesOf(world, rec, other)]
    end(world, rec)
    tell(world, rec, side, { '@type': 'callStateHangingUp' }, [ctx.device])
    world.serverSide(() => {
      tell(world, rec, side, discarded(reason, rec.accepted), [ctx.device])
      tell(world, rec, other, discarded(reason, rec.accepted), otherDevices)
    })
    return ok()
  },
}
