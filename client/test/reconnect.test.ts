/**
 * 5,000 messages through a real sandbox session to a client whose connection
 * is cut at random moments (a seeded schedule): it reconnects, resumes from
 * the last @seq it delivered, and its consumer sees every message once, in
 * order; a gap is either absent or reported, never hidden.
 */
import t from 'tap'
import { tempDir } from '../../test/helpers/broker.js'
import { startSandboxBroker, siptgOnSandbox, ALICE, BOB } from '../../test/resolve/helpers.js'
import { connect, login, type UpdatesLost } from '../src/index.js'
import { seeded, startCutProxy, within } from './helpers.js'

const TOTAL = 5000

t.test(`${TOTAL} updates across random connection drops: 0 lost, 0 duplicated`, async t => {
  const b = await startSandboxBroker(tempDir(), siptgOnSandbox({
    // Bob's session must keep running while his connection is down.
    terminate_delay: 60,
    update_buffer_size: TOTAL * 3,
    allowed_requests: ['setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'checkAuthenticationPassword', 'getAuthorizationState', 'sendMessage'],
    allowed_updates: ['updateNewMessage']
  }))
  const proxy = await startCutProxy(b.port)
  const alice = await connect({ url: `tcp://127.0.0.1:${b.port}` })
  const bob = await connect({ url: `tcp://127.0.0.1:${proxy.port}`, reconnect: { initialDelayMs: 10, maxDelayMs: 100 } })
  // Clients first, so nothing reconnects while the proxy and the broker go away.
  t.teardown(async () => { alice.close(); bob.close(); await proxy.close(); await b.stop() })
  const aliceSession = await alice.createSession()
  const bobSession = await bob.createSession()
  await login(aliceSession, { getPhoneNumber: () => ALICE.phone, getAuthCode: () => '12345' })
  await login(bobSession, { getPhoneNumber: () => BOB.phone, getAuthCode: () => '12345', getPassword: () => 'sandbox' })

  const received: number[] = []
  const gaps: UpdatesLost[] = []
  bobSession.on('updatesLost', g => { gaps.push(g) })
  let reconnects = 0
  bob.on('reconnected', () => { reconnects++ })
  const allIn = new Promise<void>(resolve => {
    bobSession.on('update', u => {
      if (u['@type'] !== 'updateNewMessage') return
      const text = (u as unknown as { message: { content: { text?: { text: string } } } }).message.content.text?.text ?? ''
      const n = Number(/^n(\d+)$/.exec(text)?.[1] ?? NaN)
      if (Number.isInteger(n)) received.push(n)
      if (received.length >= TOTAL) resolve()
    })
  })

  const random = seeded(20261201)
  let cutting = true
  const cuts = (async () => {
    let count = 0
    while (cutting) {
      await new Promise(resolve => setTimeout(resolve, 20 + random() * 200))
      if (!cutting) break
      proxy.cut()
      count++
    }
    return count
  })()

  const send = async (n: number): Promise<void> => {
    await aliceSession.invoke({ '@type': 'sendMessage', chat_id: `@${BOB.username}` as unknown as number, input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: `n${n}`, entities: [] } } })
  }
  const inFlight = 50
  for (let start = 0; start < TOTAL; start += inFlight) {
    await Promise.all(Array.from({ length: Math.min(inFlight, TOTAL - start) }, (_, i) => send(start + i)))
  }
  cutting = false
  const cutCount = await cuts
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<'timeout'>(resolve => { timer = setTimeout(() => { resolve('timeout') }, 60_000) })
  const outcome = await Promise.race([allIn.then(() => 'done' as const), timeout])
  clearTimeout(timer)
  // On a loaded machine the last messages can arrive in the replay of a resume whose answer is still on its way.
  if (bob.state !== 'connected') await within(new Promise(resolve => { bob.once('reconnected', () => { resolve(undefined) }) }), 30_000)

  t.equal(outcome, 'done', `all ${TOTAL} messages arrived (${received.length} did)`)
  t.ok(cutCount >= 10, `the connection was cut ${cutCount} times`)
  t.ok(reconnects >= 1, `the client reconnected ${reconnects} times`)
  t.same(gaps, [], 'no gap was reported (the buffer holds them all)')
  const duplicates = received.length - new Set(received).size
  t.equal(duplicates, 0, 'no message twice')
  t.same(received, Array.from({ length: TOTAL }, (_, i) => i), 'every message once, in order')
})

t.test('a gap the broker can no longer fill is reported with its range, and nothing around it is lost or doubled', async t => {
  const BUFFER = 50
  const b = await startSandboxBroker(tempDir(), siptgOnSandbox({
    terminate_delay: 60,
    update_buffer_size: BUFFER,
    allowed_requests: ['setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'checkAuthenticationPassword', 'getAuthorizationState', 'sendMessage'],
    allowed_updates: ['updateNewMessage']
  }))
  const proxy = await startCutProxy(b.port)
  const alice = await connect({ url: `tcp://127.0.0.1:${b.port}` })
  const bob = await connect({ url: `tcp://127.0.0.1:${proxy.port}`, reconnect: { initialDelayMs: 10, maxDelayMs: 50 } })
  t.teardown(async () => { alice.close(); bob.close(); await proxy.close(); await b.stop() })
  const aliceSession = await alice.createSession()
  const bobSession = await bob.createSession()
  await login(aliceSession, { getPhoneNumber: () => ALICE.phone, getAuthCode: () => '12345' })
  await login(bobSession, { getPhoneNumber: () => BOB.phone, getAuthCode: () => '12345', getPassword: () => 'sandbox' })

  const received: Array<{ n: number, seq: number }> = []
  const gaps: UpdatesLost[] = []
  const clientGaps: UpdatesLost[] = []
  bobSession.on('updatesLost', g => { gaps.push(g) })
  bob.on('updatesLost', g => { clientGaps.push(g) })
  let wake = (): void => {}
  bobSession.on('update', u => {
    if (u['@type'] !== 'updateNewMessage') return
    const text = (u as unknown as { message: { content: { text?: { text: string } } } }).message.content.text?.text ?? ''
    const n = Number(/^g(\d+)$/.exec(text)?.[1] ?? NaN)
    if (Number.isInteger(n)) { received.push({ n, seq: u['@seq'] ?? -1 }); wake() }
  })
  const send = async (n: number): Promise<void> => {
    await aliceSession.invoke({ '@type': 'sendMessage', chat_id: `@${BOB.username}` as unknown as number, input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: `g${n}`, entities: [] } } })
  }
  const until = async (count: number): Promise<void> => {
    await within((async () => { while (received.length < count) await new Promise<void>(resolve => { wake = resolve }) })(), 60_000, `${count} messages`)
  }
  for (let n = 0; n < 10; n++) await send(n)
  await until(10)
  const lastBefore = bobSession.lastSeq

  // Out of reach while 4 × the buffer's worth of messages go by, then back.
  proxy.hold(true)
  const down = new Promise(resolve => { bob.once('disconnected', resolve) })
  proxy.cut()
  await within(down, 30_000, 'the disconnect')
  for (let n = 10; n < 10 + 4 * BUFFER; n++) await send(n)
  const back = new Promise<void>(resolve => { bob.once('reconnected', () => { resolve() }) })
  proxy.hold(false)
  await within(back, 60_000, 'the reconnect')
  for (let n = 10 + 4 * BUFFER; n < 20 + 4 * BUFFER; n++) await send(n)
  await within((async () => { while (received.at(-1)?.n !== 19 + 4 * BUFFER) await new Promise<void>(resolve => { wake = resolve }) })(), 60_000, 'the last message')

  t.equal(gaps.length, 1, 'one gap reported on the session')
  t.same(clientGaps, gaps, 'and the same on the client')
  const gap = gaps[0] ?? { from_seq: 0, to_seq: -1, session: '' }
  t.equal(gap.session, bobSession.id)
  t.ok(gap.from_seq > lastBefore && gap.to_seq >= gap.from_seq, `the range ${gap.from_seq}..${gap.to_seq} starts after the last update delivered (${lastBefore})`)
  const ns = received.map(r => r.n)
  t.equal(ns.length, new Set(ns).size, 'no message twice')
  t.same(ns, [...ns].sort((a, b) => a - b), 'in order')
  const seqs = received.map(r => r.seq)
  t.same(seqs, [...seqs].sort((a, b) => a - b), '@seq rises')
  t.notOk(seqs.some(s => s >= gap.from_seq && s <= gap.to_seq), 'nothing delivered inside the reported range')
  const missing = Array.from({ length: 20 + 4 * BUFFER }, (_, i) => i).filter(n => !ns.includes(n))
  t.ok(missing.length > 0, `${missing.length} messages were lost while out of reach`)
  t.ok(missing.length <= gap.to_seq - gap.from_seq + 1, 'every lost one fits in the reported range')
  t.ok(missing.every(n => n >= 10 && n < 10 + 4 * BUFFER), 'only messages sent while out of reach are missing')
  t.same(ns.slice(0, 10), Array.from({ length: 10 }, (_, i) => i), 'everything before the drop arrived')
  t.same(ns.slice(-10), Array.from({ length: 10 }, (_, i) => 10 + 4 * BUFFER + i), 'everything after the reconnect arrived')
})
