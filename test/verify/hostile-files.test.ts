/**
 * Hostile values in broker.uploadFile and broker.readFile (added by the
 * files branch), over a real socket on the sandbox with a logged-in session:
 * each gets an answer (an error naming what was wrong, or a harmless
 * success), nothing is written outside the session's upload folder, and the
 * broker still answers a fresh broker.ping after every case.
 */
import t from 'tap'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { startBroker } from '../helpers/broker.js'
import { TestClient, type Msg } from '../helpers/client.js'
import type { SandboxBackend } from '../../src/tdlib/sandbox/index.js'

const authState = (session: string, state: string) => (m: Msg): boolean =>
  m['@type'] === 'updateAuthorizationState' && m['@session'] === session && (m.authorization_state as Msg)['@type'] === state

t.test('odd uploadFile and readFile values never end the broker', async t => {
  const b = await startBroker({
    tdlib: { backend: 'sandbox' },
    allowed_requests: ['setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'readFilePart'],
    max_upload_size: 4096, max_upload_file_size: 10000, max_read_size: 1024
  })
  t.teardown(b.stop)
  const sandbox = b.backend as SandboxBackend
  const c = await TestClient.connect(b.port)
  t.teardown(() => { c.close() })
  const session = await c.createSession()
  await c.waitFor(authState(session, 'authorizationStateWaitPhoneNumber'))
  await c.request({ '@type': 'setAuthenticationPhoneNumber', phone_number: '15550001001', '@session': session })
  await c.request({ '@type': 'checkAuthenticationCode', code: sandbox.world.loginCode('15550001001'), '@session': session })
  await c.waitFor(authState(session, 'authorizationStateReady'))
  const good = await c.request({ '@type': 'broker.uploadFile', session, name: 'ok.txt', data: Buffer.from('hello').toString('base64') })
  t.equal(good['@type'], 'broker.fileUploaded', 'a plain upload works')
  const token = (good.file as Msg).path

  const data = Buffer.from('x').toString('base64')
  const uploads: Array<Record<string, unknown>> = [
    { name: '../../x', data }, { name: '/etc/passwd', data }, { name: 'a\u0000b', data }, { name: '\ud800', data },
    { name: '€'.repeat(200), data }, { name: '.', data }, { name: '..', data }, { name: '', data }, { name: 5, data },
    { name: null, data }, { name: { toString: 1 }, data }, { name: ['a'], data },
    { data: 5 }, { data: null }, { data: '' }, { data: '====' }, { data: 'a===' }, { data: 'A'.repeat(8000) }, { data: '\u0000\u0000\u0000\u0000' }, { data: [data] },
    { data, append_to: '../../x' }, { data, append_to: '/etc/passwd' }, { data, append_to: 5 }, { data, append_to: null }, { data, append_to: '__proto__' },
    { data, append_to: 'tdbroker-upload:' + '0'.repeat(32) }, { data, append_to: token + '\u0000' }, { data, append_to: token, name: '../y' },
    { data, session: -1 }, { data, session: '1e400' }, { data, session: 1e400 }, { data, session: { '@type': 'x' } }, { data, session: '../..' }
  ]
  const reads: Array<Record<string, unknown>> = [
    { file_id: -1, count: 1 }, { file_id: 0, count: 1 }, { file_id: 1e300, count: 1 }, { file_id: 2 ** 53, count: 1 }, { file_id: '1', count: 1 },
    { file_id: 1.5, count: 1 }, { file_id: null, count: 1 }, { file_id: [1], count: 1 }, { file_id: 1, count: 0 }, { file_id: 1, count: -5 },
    { file_id: 1, count: 1e12 }, { file_id: 1, count: 1, offset: -1 }, { file_id: 1, count: 1, offset: 2 ** 62 }, { file_id: 1, count: 1, offset: Number.MAX_SAFE_INTEGER },
    { file_id: 1, count: 1, offset: '0' }, { file_id: 999999, count: 1 }, { file_id: 1, count: 1024, offset: 0 }, { file_id: 1, count: 1, session: '../../x' }
  ]
  const cases: Array<Record<string, unknown>> = [
    ...uploads.map(u => ({ '@type': 'broker.uploadFile', session, ...u })),
    ...reads.map(r => ({ '@type': 'broker.readFile', session, ...r }))
  ]
  for (const request of cases) {
    const label = JSON.stringify(request).slice(0, 120)
    const answer = await c.request(request)
    t.ok(answer['@type'] === 'error' ? typeof answer.message === 'string' && (answer.message as string).length > 0 : /^broker\.file/.test(String(answer['@type'])), `${label} → ${JSON.stringify(answer).slice(0, 160)}`)
    if (answer['@type'] === 'error') t.not(answer.code, 500, `${label}: a client error, not an internal one`)
    t.notOk(JSON.stringify(answer).includes(b.dir), `${label}: the answer shows no path of the broker`)
    t.equal((await c.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong', 'still answers')
  }
  // Nothing landed beside the session's upload folder, nor above it.
  t.notOk(existsSync(join(b.settings.tdlib.path, 'x')), 'no ../../x under the sessions folder')
  t.notOk(existsSync(join(b.dir, 'x')), 'nor in the storage folder')
  const sessionFolder = join(b.settings.tdlib.path, session)
  for (const entry of readdirSync(join(sessionFolder, 'broker_uploads'))) {
    t.ok(/^[0-9a-f]{32}$/.test(entry), `only token folders in broker_uploads (${entry})`)
  }
  t.notOk(c.closed, 'the connection is still open')
})
