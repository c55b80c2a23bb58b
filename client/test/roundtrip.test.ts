/**
 * The client against a real broker (real TDLib offline, and the sandbox for
 * logins and messages), through real sockets: typed round trips, errors,
 * timeouts and aborts, sessions, updates, login helpers and the tdl face.
 */
import t from 'tap'
import { BROKER_ERRORS } from '../../src/errors.js'
import { startBroker, tempDir } from '../../test/helpers/broker.js'
import { startSandboxBroker, siptgOnSandbox, ALICE, BOB } from '../../test/resolve/helpers.js'
import { startCutProxy } from './helpers.js'
import { BROKER_ERROR_NAMES, ClientClosedError, ConnectionLostError, RequestAbortedError, RequestTimeoutError, TdError, connect, createClient, login, type Update } from '../src/index.js'

t.test('the client knows every error name the broker sends', async t => {
  t.same([...BROKER_ERROR_NAMES].sort(), Object.keys(BROKER_ERRORS).sort())
})

t.test('typed round trips, TDLib errors and broker refusals on real TDLib', async t => {
  const b = await startBroker()
  t.teardown(b.stop)
  const client = await connect({ url: `tcp://127.0.0.1:${b.port}` })
  t.teardown(() => { client.close() })
  t.equal(client.state, 'connected')
  const version = await client.getVersion()
  t.equal(version.backend, 'tdlib')
  t.match(version.tdlib_version, /^1\.8\./)

  const session = await client.createSession()
  t.ok(session.attached)
  const squared = await session.invoke({ '@type': 'testSquareInt', x: 12 })
  const value: number = squared.value // typed: testSquareInt answers testInt
  t.equal(value, 144)
  t.equal(squared['@type'], 'testInt')
  // @ts-expect-error x is a number in TDLib's schema
  await t.rejects(session.invoke({ '@type': 'testSquareInt', x: 'twelve' }), TdError)

  const echoed = await session.invoke({ '@type': 'testCallString', x: 'héllo' })
  t.equal(echoed.value, 'héllo')

  const tdlibError = await session.invoke({ '@type': 'testReturnError', error: { '@type': 'error', code: 418, message: 'TEAPOT' } }).catch((e: unknown) => e)
  t.ok(tdlibError instanceof TdError)
  t.match(tdlibError, { code: 418, message: 'TEAPOT', brokerError: undefined }, "TDLib's own error, not the broker's")

  const refused = await session.invoke({ '@type': 'addProxy', proxy: { '@type': 'proxy', server: 'x', port: 1, type: { '@type': 'proxyTypeSocks5', username: '', password: '' } }, enable: true }).catch((e: unknown) => e)
  t.ok(refused instanceof TdError)
  t.match(refused, { code: 403, brokerError: 'REQUEST_NOT_ALLOWED' })

  const listed = await client.listSessions()
  t.match(listed, [{ session: session.id, attached: true }])
  await session.detach()
  t.notOk(session.attached)
  const again = await client.attach(session.id)
  t.equal(again, session, 'one handle per session')
})

t.test('timeouts and AbortSignal fail one request, and its late answer is dropped', async t => {
  const b = await startBroker()
  t.teardown(b.stop)
  const client = await connect({ url: `tcp://127.0.0.1:${b.port}` })
  t.teardown(() => { client.close() })
  const session = await client.createSession()
  await session.waitForAuthorizationState('authorizationStateWaitPhoneNumber')
  // Offline, TDLib never answers a phone number (it cannot reach Telegram).
  const timedOut = await session.invoke({ '@type': 'setAuthenticationPhoneNumber', phone_number: '+15550009999' }, { timeoutMs: 300 }).catch((e: unknown) => e)
  t.ok(timedOut instanceof RequestTimeoutError, 'RequestTimeoutError')
  const controller = new AbortController()
  setTimeout(() => { controller.abort('changed my mind') }, 100)
  const aborted = await session.invoke({ '@type': 'setAuthenticationPhoneNumber', phone_number: '+15550009999' }, { signal: controller.signal }).catch((e: unknown) => e)
  t.ok(aborted instanceof RequestAbortedError, 'RequestAbortedError')
  t.equal((aborted as RequestAbortedError).reason, 'changed my mind')
  t.equal((await session.invoke({ '@type': 'testSquareInt', x: 3 })).value, 9, 'the connection carries on')
})

t.test('a request in flight when the connection drops fails with a retryable ConnectionLostError, and is not sent again', async t => {
  const b = await startBroker()
  t.teardown(b.stop)
  const proxy = await startCutProxy(b.port)
  t.teardown(proxy.close)
  const client = await connect({ url: `tcp://127.0.0.1:${proxy.port}`, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } })
  t.teardown(() => { client.close() })
  const session = await client.createSession()
  await session.waitForAuthorizationState('authorizationStateWaitPhoneNumber')
  const inFlight = session.invoke({ '@type': 'setAuthenticationPhoneNumber', phone_number: '+15550009999' }).catch((e: unknown) => e)
  await new Promise(resolve => setTimeout(resolve, 100))
  const reconnected = new Promise<void>(resolve => { client.once('reconnected', () => { resolve() }) })
  proxy.cut()
  const lost = await inFlight
  t.ok(lost instanceof ConnectionLostError, 'ConnectionLostError')
  t.equal((lost as ConnectionLostError).retryable, true)
  t.equal((lost as ConnectionLostError).requestType, 'setAuthenticationPhoneNumber')
  t.equal(client.state, 'reconnecting')
  await reconnected
  t.equal(client.state, 'connected')
  t.equal((await session.invoke({ '@type': 'testSquareInt', x: 5 })).value, 25, 'the session is attached again after the reconnect')
  const sent = b.logs.records.filter(r => r.msg === 'request' && (r.request as { '@type'?: string } | undefined)?.['@type'] === 'setAuthenticationPhoneNumber')
  t.equal(sent.length, 1, 'the broker saw the lost request once: the client did not send it again')
})

t.test('sandbox: log in with the helper, send, and receive updates by event and iterator, in order and once', async t => {
  const dir = tempDir()
  const b = await startSandboxBroker(dir, siptgOnSandbox({ allowed_requests: ['setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'checkAuthenticationPassword', 'getAuthorizationState', 'sendMessage', 'getMe', 'getChats', 'createPrivateChat'], allowed_updates: ['updateNewMessage'] }))
  t.teardown(b.stop)
  const url = `tcp://127.0.0.1:${b.port}`
  const alice = await connect({ url })
  const bob = await connect({ url })
  t.teardown(() => { alice.close(); bob.close() })
  const aliceSession = await alice.createSession()
  const bobSession = await bob.createSession()
  const asked: string[] = []
  await login(aliceSession, { getPhoneNumber: () => ALICE.phone, getAuthCode: retry => { asked.push(`code${retry ? ' again' : ''}`); return retry ? '12345' : '00000' } })
  t.same(asked, ['code', 'code again'], 'a wrong code is asked for again, as a retry')
  await login(bobSession, { getPhoneNumber: () => BOB.phone, getAuthCode: () => '12345', getPassword: hint => { t.type(hint, 'string'); return 'sandbox' } })
  t.equal(bobSession.authorizationState?.['@type'], 'authorizationStateReady')

  const events: string[] = []
  bobSession.on('update', u => { if (u['@type'] === 'updateNewMessage') events.push(textOf(u)) })
  const iterated: string[] = []
  const reading = (async () => {
    for await (const u of bobSession.updates()) {
      if (u['@type'] !== 'updateNewMessage') continue
      iterated.push(textOf(u))
      if (iterated.length === 20) break
    }
  })()
  for (let i = 0; i < 20; i++) {
    // request_peers (siptg's settings) resolves the username; the typed field is a number, so cast
    await aliceSession.invoke({ '@type': 'sendMessage', chat_id: `@${BOB.username}` as unknown as number, input_message_content: { '@type': 'inputMessageText', text: { '@type': 'formattedText', text: `m${i}`, entities: [] } } })
  }
  await reading
  const expected = Array.from({ length: 20 }, (_, i) => `m${i}`)
  t.same(iterated, expected, 'the iterator saw each message once, in order')
  t.same(events.slice(0, 20), expected, 'the update event too')
})

t.test('the tdl face runs a tdl README snippet unchanged but for createClient', async t => {
  const dir = tempDir()
  const b = await startSandboxBroker(dir, siptgOnSandbox({ allowed_requests: ['setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'getAuthorizationState', 'getMe', 'getChats'] }))
  t.teardown(b.stop)
  const printed: unknown[] = []
  const console = { log: (...a: unknown[]) => { printed.push(a) }, error: (...a: unknown[]) => { printed.push(['error', ...a]) } }

  // From tdl's README, with tdl.createClient replaced and login's answers given (tdl asks on the terminal):
  const client = await createClient({ url: `tcp://127.0.0.1:${b.port}` })
  client.on('error', console.error)
  async function main (): Promise<void> {
    await client.login({ getPhoneNumber: () => ALICE.phone, getAuthCode: () => '12345' })
    const me = await client.invoke({ _: 'getMe' })
    console.log('My user:', me)
    const chats = await client.invoke({ _: 'getChats', chat_list: { _: 'chatListMain' }, limit: 10 })
    console.log('A part of my chat list:', chats)
    await client.close()
  }
  await main().catch(console.error)

  t.equal(printed.length, 2, 'two lines, no error')
  t.match(printed[0], ['My user:', { _: 'user', id: ALICE.id }])
  t.match(printed[1], ['A part of my chat list:', { _: 'chats', chat_ids: Array }])
  t.notOk(JSON.stringify(printed).includes('@type'), 'objects come back in tdl\'s shape')
  t.ok(client.isClosed)
})

function textOf (u: Update): string {
  const m = (u as unknown as { message: { content: { text?: { text: string } } } }).message
  return m.content.text?.text ?? ''
}

t.test('a request made while reconnecting waits, and fails with ClientClosedError if the client closes first', async t => {
  const b = await startBroker()
  t.teardown(b.stop)
  const proxy = await startCutProxy(b.port)
  t.teardown(proxy.close)
  const client = await connect({ url: `tcp://127.0.0.1:${proxy.port}`, reconnect: { initialDelayMs: 60_000, maxDelayMs: 60_000 } })
  const session = await client.createSession()
  await session.waitForAuthorizationState('authorizationStateWaitPhoneNumber')
  const down = new Promise<void>(resolve => { client.once('disconnected', () => { resolve() }) })
  proxy.cut()
  await down
  t.equal(client.state, 'reconnecting')
  const waiting = session.invoke({ '@type': 'testSquareInt', x: 2 }).catch((e: unknown) => e)
  client.close('test over')
  const failed = await waiting
  t.ok(failed instanceof ClientClosedError, 'ClientClosedError, not a request left hanging')
})
