/**
 * The real backend on real TDLib: objects cross the seam in TDLib's form
 * (`@type` at every depth, never tdl's `_`), including on the path that hands
 * TDLib's parsed object through without tdl's renaming.
 */
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRegistersThroughGetClientId, tdlLoopParksWhileHandling } from '../../src/tdlib/drain.js'
import { backendDrain, backendLateReceive, createTdlBackend, directSender, requestText, skipRenaming } from '../../src/tdlib/tdl-backend.js'
import * as tdl from 'tdl'
import type { TdObject } from '../../src/tdlib/backend.js'

/** Every key named `_` anywhere in a value. */
function underscoreKeys (v: unknown, path = ''): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => underscoreKeys(x, `${path}[${i}]`))
  if (v === null || typeof v !== 'object') return []
  return Object.entries(v).flatMap(([k, x]) => [...(k === '_' ? [path + '._'] : []), ...underscoreKeys(x, `${path}.${k}`)])
}

t.test('answers and updates keep @type at every depth', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'tdbroker-tdl-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const backend = createTdlBackend({ verbosity: 0 })
  const updates: TdObject[] = []
  let closed = false
  const client = backend.createClient({ sessionId: '1', directory: dir }, { onUpdate: u => updates.push(u), onClosed: () => { closed = true } })

  const parsed = await client.invoke({ '@type': 'parseTextEntities', text: '*bold* and _italic_', parse_mode: { '@type': 'textParseModeMarkdown', version: 2 } })
  t.equal(parsed['@type'], 'formattedText')
  const entities = parsed.entities as TdObject[]
  t.same(entities.map(e => (e.type as TdObject)['@type']), ['textEntityTypeBold', 'textEntityTypeItalic'], 'nested objects carry @type')
  t.same(underscoreKeys(parsed), [], 'and no `_` anywhere')

  const error = await client.invoke({ '@type': 'testReturnError', error: { '@type': 'error', code: 418, message: 'TEAPOT' } })
  t.same(error, { '@type': 'error', code: 418, message: 'TEAPOT' }, 'TDLib errors come back as error objects')

  const params = await client.invoke({ '@type': 'setTdlibParameters', database_directory: dir, files_directory: dir, api_id: 94575, api_hash: 'test', system_language_code: 'en', device_model: 'test', application_version: '1', use_message_database: false })
  t.equal(params['@type'], 'ok')
  const passThrough = (u: TdObject): boolean => !['updateOption', 'updateAuthorizationState', 'updateConnectionState'].includes(u['@type'])
  for (let i = 0; i < 200 && !updates.some(passThrough); i++) await new Promise(resolve => setTimeout(resolve, 10))
  t.ok(updates.some(u => u['@type'] === 'updateAuthorizationState'), 'updates tdl reads itself arrive')
  t.ok(updates.some(passThrough), 'updates on the pass-through path arrive')
  t.same(updates.flatMap(u => underscoreKeys(u)), [], 'no update has a `_` key')
  await client.close()
  t.ok(closed, 'close reports the client closed')
})

t.test('the pass-through hook is installed on this tdl version', async t => {
  const handle = tdl.createBareClient()
  const before = (handle as unknown as { handleReceive: unknown }).handleReceive
  t.equal(skipRenaming(handle), true, 'installed')
  t.not((handle as unknown as { handleReceive: unknown }).handleReceive, before, 'tdl still has the internals the backend hooks (if this fails after a tdl upgrade, the backend falls back to renaming: check the cost in bench)')
  await handle.close()
})

t.test('requests go to libtdjson past tdl on this tdl version, answers come back past tdl', async t => {
  const handle = tdl.createBareClient()
  const send = directSender(handle)
  t.type(send, 'function', 'tdl 8 still sends through _tdjson.tdnew.send with the id in _client.val (if this fails after a tdl upgrade, the backend falls back to tdl\'s invoke: check the cost in bench)')
  const answers: Array<[number, TdObject]> = []
  let answered!: () => void
  const got = new Promise<void>(resolve => { answered = resolve })
  t.equal(skipRenaming(handle, (extra, answer) => {
    if (extra !== 7 && extra !== 8) return false
    answers.push([extra, answer])
    if (answers.length === 2) answered()
    return true
  }), true)
  send!(requestText({ '@type': 'testSquareInt', x: 5 }, 7))
  send!(requestText({ '@type': 'testReturnError', error: { '@type': 'error', code: 400, message: 'NO' } }, 8))
  await got
  // TDLib does not promise the order of answers to different requests (now and then the error came first).
  answers.sort((a, b) => a[0] - b[0])
  t.same(answers, [[7, { '@type': 'testInt', value: 25, '@extra': 7 }], [8, { '@type': 'error', code: 400, message: 'NO', '@extra': 8 }]],
    'TDLib\'s own objects, errors included (tdl never saw them: it would have renamed @type)')
  t.equal((handle as unknown as { _pending: Map<unknown, unknown> })._pending.size, 0, 'nothing waits in tdl')
  await handle.close()
  t.throws(() => { send!(requestText({ '@type': 'testSquareInt', x: 1 }, 9)) }, /closed/, 'a closed client refuses to send')
})

t.test('requestText: the request as TDLib JSON with the broker\'s @extra in place of any other', async t => {
  t.equal(requestText({ '@type': 'testSquareInt', x: 3 }, 12), '{"@type":"testSquareInt","x":3,"@extra":12}')
  const withExtra: TdObject = { '@type': 'getOption', name: 'version', '@extra': 'theirs' }
  t.equal(requestText(withExtra, 1), '{"@type":"getOption","name":"version","@extra":1}')
  t.equal(withExtra['@extra'], 'theirs', 'the request itself is left as it was')
})

t.test('a request waiting when its client closes is settled, never left hanging', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'tdbroker-tdl-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const backend = createTdlBackend({ verbosity: 0 })
  let closed!: () => void
  const gone = new Promise<void>(resolve => { closed = resolve })
  const client = backend.createClient({ sessionId: '1', directory: dir }, { onUpdate: () => {}, onClosed: () => { closed() } })
  const alarm = client.invoke({ '@type': 'setAlarm', seconds: 30 }).then(answer => answer['@type'], (e: Error) => `rejected: ${e.message}`)
  await client.close()
  await gone
  const outcome = await alarm
  t.ok(outcome === 'error' || outcome.startsWith('rejected'), `the 30 s alarm is settled by the close (${outcome})`)
  await t.rejects(client.invoke({ '@type': 'testSquareInt', x: 2 }), /closed/, 'a closed client takes no more requests')
})

t.test('answers TDLib queued meanwhile are taken in one go past tdl\'s loop, each to its own client', async t => {
  const dirs = [mkdtempSync(join(tmpdir(), 'tdbroker-tdl-')), mkdtempSync(join(tmpdir(), 'tdbroker-tdl-'))]
  t.teardown(() => { for (const dir of dirs) rmSync(dir, { recursive: true, force: true }) })
  const backend = createTdlBackend({ verbosity: 0 })
  t.equal(tdlLoopParksWhileHandling(), true, 'tdl\'s receive loop still takes one message at a time and hands it over before asking again (if this fails after a tdl upgrade, the backend has no drain: check the new loop, then the cost in bench)')
  const drain = backendDrain()
  t.ok(drain !== undefined, 'koffi loads and reaches td_receive (without it the backend falls back to tdl\'s loop alone: check the cost in bench)')
  const clients = dirs.map((dir, i) => backend.createClient({ sessionId: String(i), directory: dir }, { onUpdate: () => {}, onClosed: () => {} }))
  const drainedBefore = drain!.drained
  const unroutedBefore = drain!.unrouted
  // Both clients at once, so that answers of one are queued behind the other's and a drain hands out both.
  const answers = await Promise.all(Array.from({ length: 400 }, (_, x) => clients[x % 2]!.invoke({ '@type': 'testSquareInt', x }).then(a => [x, a] as const)))
  t.same(answers.filter(([x, a]) => a['@type'] !== 'testInt' || a.value !== x * x), [], 'every answer reached the request it answers, on its own client')
  t.ok(drain!.drained > drainedBefore, `messages were taken by the drain (${drain!.drained - drainedBefore}, answers and updates, for 400 requests)`)
  t.equal(drain!.unrouted, unroutedBefore, 'none was for a client the drain does not know')
  await Promise.all(clients.map(async c => { await c.close() }))
  t.same(await Promise.all(clients.map(async c => await c.invoke({ '@type': 'testSquareInt', x: 2 }).then(() => 'answered', (e: Error) => e.message))), ['client is closed', 'client is closed'], 'closed clients still close (tdl saw authorizationStateClosed, drained or not)')
})

t.test('one request at a time: no drain after the answer to the only request in flight, and the next receive waits; with more in flight, drains', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'tdbroker-tdl-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const backend = createTdlBackend({ verbosity: 0 })
  const drain = backendDrain()
  t.ok(drain !== undefined, 'the backend has its drain')
  const updates: string[] = []
  const client = backend.createClient({ sessionId: 'one', directory: dir }, { onUpdate: u => { updates.push(u['@type']) }, onClosed: () => {} })
  t.teardown(async () => { await client.close() })
  await client.invoke({ '@type': 'testSquareInt', x: 1 })
  // The new client's first updates (options, its authorization state) come and go first; then it is quiet.
  await new Promise(resolve => setTimeout(resolve, 500))
  const seen = updates.length
  const runs = drain!.runs
  t.ok(backendLateReceive() !== undefined, 'the late receive is installed on tdl\'s addon object')
  const deferred = backendLateReceive()!.deferred
  const wrong: number[] = []
  for (let x = 0; x < 50; x++) if ((await client.invoke({ '@type': 'testSquareInt', x })).value !== x * x) wrong.push(x)
  t.same(wrong, [], 'each answered right')
  t.equal(updates.length, seen, 'no update came meanwhile (so none could have made a drain)')
  t.equal(drain!.runs, runs, '50 requests one at a time: no drain ran after their answers')
  t.equal(backendLateReceive()!.deferred - deferred, 50, 'and after each answer tdl\'s next receive waited for the check phase (if this fails after a tdl upgrade, its loop no longer calls the addon\'s receive the backend wraps: check late-receive.ts, then the round trip in bench)')
  // A request whose answer also holds the next receive, and whose updates come after it: they still arrive.
  const before = updates.length
  const parameters = await client.invoke({ '@type': 'setTdlibParameters', database_directory: dir, files_directory: dir, api_id: 94575, api_hash: 'test', system_language_code: 'en', device_model: 'test', application_version: '1', use_message_database: false })
  t.equal(parameters['@type'], 'ok', 'setTdlibParameters answered')
  const after = (): string[] => updates.slice(before)
  for (let i = 0; i < 500 && !after().includes('updateAuthorizationState'); i++) await new Promise(resolve => setTimeout(resolve, 10))
  t.ok(after().includes('updateAuthorizationState'), `the updates TDLib sent after that answer arrived, the receive held or not (${after().join(', ')})`)
  const answers = await Promise.all(Array.from({ length: 200 }, async (_, x) => await client.invoke({ '@type': 'testSquareInt', x })))
  t.ok(answers.every((a, x) => a.value === x * x), 'every answer of 200 in flight reached its request')
  t.ok(drain!.runs > runs, `with requests still in flight after an answer, the drain runs (${drain!.runs - runs} times for 200)`)
})

t.test('a tdl client the embedding program creates itself gets every answer, with the drain taking messages past tdl\'s loop', async t => {
  const dir = mkdtempSync(join(tmpdir(), 'tdbroker-tdl-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  const backend = createTdlBackend({ verbosity: 0 })
  const drain = backendDrain()
  t.ok(drain !== undefined, 'the backend has its drain')
  t.equal(createRegistersThroughGetClientId(readFileSync(createRequire(import.meta.url).resolve('tdl'), 'utf8')), true, 'tdl still learns a new client\'s id through getClientId right before mapping it (if this fails after a tdl upgrade, the backend has no drain)')
  const ours = backend.createClient({ sessionId: 'ours', directory: dir }, { onUpdate: () => {}, onClosed: () => {} })
  const theirs = tdl.createBareClient()
  const unroutedBefore = drain!.unrouted
  const drainedBefore = drain!.drained
  // Interleaved, so that the embedder's answers sit in TDLib's queue behind the broker's and drains take them.
  const results = await Promise.all(Array.from({ length: 400 }, async (_, x) => x % 2 === 0
    ? await ours.invoke({ '@type': 'testSquareInt', x }).then(a => a['@type'] === 'testInt' && a.value === x * x)
    : await (theirs.invoke({ _: 'testSquareInt', x }) as Promise<{ _: string, value: number }>).then(a => a._ === 'testInt' && a.value === x * x)))
  t.same(results.map((ok, x) => ok ? -1 : x).filter(x => x >= 0), [], 'every request of both clients got its own answer')
  t.ok(drain!.drained > drainedBefore, `the drain took messages meanwhile (${drain!.drained - drainedBefore})`)
  t.equal(drain!.unrouted, unroutedBefore, 'none was dropped as a message for an unknown client')
  await theirs.close()
  await ours.close()
})

t.test('the shape check of tdl\'s createAnyClient refuses code it was not written for', async t => {
  t.equal(createRegistersThroughGetClientId('function createAnyClient(opts) {\n    const clientId = client.getClientId();\n    clientMap.set(clientId, client);\n}'), true, 'the shape it relies on')
  t.equal(createRegistersThroughGetClientId('function createAnyClient(opts) {\n    const clientId = await client.ready();\n    clientMap.set(clientId, client);\n}'), false, 'an id learnt another way')
  t.equal(createRegistersThroughGetClientId('function createAnyClient(opts) {\n    const clientId = client.getClientId();\n    await x;\n    clientMap.set(clientId, client);\n}'), false, 'something awaited before the client is mapped')
  t.equal(createRegistersThroughGetClientId('function other() {}'), false, 'no createAnyClient at all')
})
