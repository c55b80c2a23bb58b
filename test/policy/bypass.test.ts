/**
 * Attempts to get around a client's scope, through real sockets on real
 * TDLib (its offline test methods). Every one must fail, with an error from
 * the broker (403/400), never an answer from TDLib.
 */
import t from 'tap'
import { connectAs, errorName, keyClient, rawRequest, startBroker, testKey } from '../helpers/clients.js'
import type { Msg } from '../helpers/client.js'
import { REFUSALS_RECORDED } from '../../src/audit/refusal-limit.js'

t.test('a narrowed client cannot reach past its scope', async t => {
  const [backendKey, opsKey, viewerKey] = [await testKey(), await testKey(), await testKey()]
  const b = await startBroker({
    clients: [
      keyClient('backend', backendKey, { sessions: 'own' }),
      keyClient('ops', opsKey, { allowed_requests: ['testSquareInt', 'addProxy'], sessions: 'own' }),
      keyClient('viewer', viewerKey, { sessions: 'all', may_create_sessions: false })
    ]
  })
  t.teardown(b.stop)
  const backend = await connectAs(b.port, 'backend', backendKey)
  const ops = await connectAs(b.port, 'ops', opsKey)
  const viewer = await connectAs(b.port, 'viewer', viewerKey)
  t.teardown(() => { backend.close(); ops.close(); viewer.close() })
  const session = await backend.createSession()
  const opsOwn = await ops.createSession()

  await t.test('a session of another client: invisible, and unreachable by every road', async t => {
    const list = await ops.request({ '@type': 'broker.listSessions' })
    t.same((list.sessions as Msg[]).map(s => s.session), [opsOwn], 'only its own session is listed')
    for (const msg of [
      { '@type': 'broker.attachSession', session },
      { '@type': 'broker.attachSession', session, last_seq: 0 },
      { '@type': 'broker.detachSession', session },
      { '@type': 'testSquareInt', x: 3, '@session': session }
    ] as Msg[]) {
      const r = await ops.request(msg)
      t.equal(errorName(r), 'SESSION_NOT_ALLOWED', `${String(msg['@type'])} to another client's session`)
      t.equal(r.code, 403)
    }
    const made = await viewer.request({ '@type': 'broker.createSession' })
    t.equal(errorName(made), 'SESSION_CREATE_NOT_ALLOWED', 'a client that may not create sessions cannot')
    const missing = await ops.request({ '@type': 'broker.attachSession', session: '4242424242' })
    t.equal(errorName(missing), 'SESSION_NOT_ALLOWED', 'a session that does not exist looks the same: no probing for ids')
    for (const id of [` ${session}`, `${session} `, `0${session}`, Number(session), [session], { id: session }, `${session}\u0000`]) {
      const r = await ops.request({ '@type': 'broker.attachSession', session: id })
      t.equal(errorName(r), 'INVALID_SESSION_ID', `session id ${JSON.stringify(id)}`)
    }
    const smuggled = await ops.request(JSON.parse(`{"@type":"broker.attachSession","__proto__":{"session":"${session}"}}`) as Msg)
    t.equal(errorName(smuggled), 'INVALID_SESSION_ID', 'a session id under __proto__ is not the session field')
    const twice = await rawRequest(ops, `{"@type":"broker.attachSession","session":"${session}","session":"1","@extra":"dup"}`, 'dup')
    t.equal(errorName(twice), 'SESSION_NOT_ALLOWED', 'with duplicate keys the last one counts, and is checked')
    t.equal(b.broker.registry.get(session)?.memberCount, 1, 'only the backend is attached')
    const backendView = await backend.request({ '@type': 'testSquareInt', x: 3, '@session': opsOwn })
    t.equal(errorName(backendView), 'SESSION_NOT_ALLOWED', 'and the other way round')
  })

  await t.test('request types: only exact listed names, and only those the global list has too', async t => {
    t.equal((await ops.request({ '@type': 'testSquareInt', x: 4, '@session': opsOwn })).value, 16, 'a listed request works (control)')
    const types: unknown[] = [
      'testCallString', // global, not in ops' scope
      'addProxy', // in ops' scope, not global: a scope never widens
      'TestSquareInt', 'testsquareint', 'TESTSQUAREINT', ' testSquareInt', 'testSquareInt ', 'testSquareInt\n', '\ttestSquareInt',
      'testSquareІnt', // Cyrillic І
      'tеstSquareInt', // Cyrillic е
      'ｔestSquareInt', // fullwidth t
      'testSquare\u200bInt', // zero-width space
      'testSquareInt\u0000',
      'testSquareI\u0307nt', // combining dot
      '__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf',
      'setTdlibParameters'
    ]
    for (const type of types) {
      const r = await ops.request({ '@type': type, x: 2, '@session': opsOwn })
      t.ok(['REQUEST_NOT_ALLOWED', 'REQUEST_RESERVED'].includes(errorName(r) ?? ''), `${JSON.stringify(type)} is refused by the broker (${String(r.message)})`)
    }
    for (const type of [['testSquareInt'], { '@type': 'testSquareInt' }, 5, true, null, '']) {
      const r = await ops.request({ '@type': type, x: 2, '@session': opsOwn })
      t.equal(errorName(r), 'MISSING_TYPE', `@type ${JSON.stringify(type)}`)
    }
    const objectType = await rawRequest(ops, `{"@type":{"toString":"testSquareInt"},"x":2,"@session":"${opsOwn}","@extra":"obj"}`, 'obj')
    t.equal(errorName(objectType), 'MISSING_TYPE', 'an object that would stringify to an allowed name')
    const dup = await rawRequest(ops, `{"@type":"testSquareInt","@type":"testCallString","x":"2","@session":"${opsOwn}","@extra":"dup-type"}`, 'dup-type')
    t.equal(errorName(dup), 'REQUEST_NOT_ALLOWED', 'duplicate @type: the last one is what is checked and what TDLib would get')
  })

  await t.test('keys that could smuggle another type or reach a prototype', async t => {
    const cases: string[] = [
      `{"@type":"testSquareInt","x":2,"__proto__":{"@type":"testCallString"},"@session":"${opsOwn}","@extra":"p1"}`,
      `{"@type":"testSquareInt","x":2,"_":"testCallString","@session":"${opsOwn}","@extra":"p2"}`,
      `{"@type":"testSquareInt","x":{"__proto__":{"x":3}},"@session":"${opsOwn}","@extra":"p3"}`,
      `{"@type":"testSquareInt","x":2,"inner":{"@type":["testCallString"]},"@session":"${opsOwn}","@extra":"p4"}`
    ]
    for (const [i, line] of cases.entries()) {
      const r = await rawRequest(ops, line, `p${i + 1}`)
      t.equal(errorName(r), 'INVALID_REQUEST', line)
    }
    for (const key of ['constructor', 'prototype']) {
      const r = await ops.request({ '@type': 'testCallString', x: 'y', [key]: { '@type': 'testSquareInt' }, '@session': opsOwn })
      t.equal(errorName(r), 'REQUEST_NOT_ALLOWED', `a "${key}" key changes nothing about the type`)
    }
    for (const type of ['broker.constructor', 'broker.__proto__', 'broker.hasOwnProperty', 'broker.toString', 'broker.Ping', 'broker.ping ']) {
      const r = await ops.request({ '@type': type })
      t.equal(errorName(r), 'UNKNOWN_CONTROL_REQUEST', type)
    }
  })

  await t.test('what was refused never reached TDLib, was audited with the client name, and the connection still works', async t => {
    const refusals = b.logs.records.filter(r => r.audit === 'request.refused' && r.client === 'ops')
    // More than REFUSALS_RECORDED were refused: the first ones are recorded one by one, the rest counted (audit/refusal-limit.ts).
    t.equal(refusals.length, REFUSALS_RECORDED, `${refusals.length} refusals audited one by one as ops, then only counted`)
    t.ok(refusals.every(r => typeof r.reason === 'string'), 'each with its reason')
    t.equal((await ops.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong')
    t.notOk(ops.closed)
  })
})
