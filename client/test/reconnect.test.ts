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
import { seeded, startCutProxy } from './helpers.js'

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

  t.equal(outcome, 'done', `all ${TOTAL} messages arrived (${received.length} did)`)
  t.ok(cutCount >= 10, `the connection was cut ${cutCount} times`)
  t.ok(reconnects >= 1, `the client reconnected ${reconnects} times`)
  t.same(gaps, [], 'no gap was reported (the buffer holds them all)')
  const duplicates = received.length - new Set(received).size
  t.equal(duplicates, 0, 'no message twice')
  t.same(received, Array.from({ length: TOTAL }, (_, i) => i), 'every message once, in order')
})
