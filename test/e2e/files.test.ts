/**
 * Files end to end on the sandbox, through real sockets: local paths in
 * requests are refused (another session's folder, /etc/passwd, at any
 * depth, preliminaryUploadFile too); broker.uploadFile's reference sends a
 * document; broker.readFile fetches its bytes; no answer or update shows
 * the broker's paths, unless local_files allows them.
 */
import t from 'tap'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startBroker, tempDir, type TestBroker } from '../helpers/broker.js'
import { TestClient, type Msg } from '../helpers/client.js'
import type { SandboxBackend } from '../../src/tdlib/sandbox/index.js'
import { MARKER_FILE } from '../../src/tdlib/sandbox/persist.js'
import { loginSeeded } from '../helpers/sandbox-login.js'

const ALLOWED_REQUESTS = [
  'setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'checkAuthenticationPassword', 'searchPublicChat', 'getMe',
  'sendMessage', 'getFile', 'downloadFile', 'readFilePart', 'preliminaryUploadFile'
]
const ALLOWED_UPDATES = ['updateNewMessage', 'updateMessageSendSucceeded', 'updateFile']

type Sandboxed = TestBroker & { sandbox: SandboxBackend }

async function sandboxBroker (raw: Record<string, unknown> = {}, dir?: string): Promise<Sandboxed> {
  const tdlib = { ...(raw.tdlib as object | undefined), backend: 'sandbox' }
  const b = await startBroker({ allowed_requests: ALLOWED_REQUESTS, allowed_updates: ALLOWED_UPDATES, ...raw, tdlib }, dir === undefined ? {} : { dir })
  return { ...b, sandbox: b.backend as SandboxBackend }
}


async function loggedIn (b: Sandboxed, phone: string, password?: string): Promise<{ c: TestClient, session: string }> {
  const c = await TestClient.connect(b.port)
  const session = await c.createSession()
  await loginSeeded(c, session, b.sandbox.world, phone, password)
  return { c, session }
}

const documentOf = (file: Msg, caption = ''): Msg => ({
  '@type': 'inputMessageDocument',
  document: { '@type': 'inputDocument', document: file },
  caption: { '@type': 'formattedText', text: caption, entities: [] }
})
const local = (path: string): Msg => ({ '@type': 'inputFileLocal', path })

/** The document of a message, and its file. */
function fileOf (message: Msg): { name: string, file: Msg } {
  const document = (message.content as Msg).document as Msg
  return { name: document.file_name as string, file: document.document as Msg }
}

const newDocument = (session: string, caption: string) => (m: Msg): boolean =>
  m['@type'] === 'updateNewMessage' && m['@session'] === session &&
  ((m.message as Msg).content as Msg)['@type'] === 'messageDocument' &&
  (((m.message as Msg).content as Msg).caption as Msg).text === caption

t.test('without local_files: paths refused, files over the protocol, no broker paths shown', async t => {
  const b = await sandboxBroker({ max_upload_size: 4096, max_upload_file_size: 10000, max_read_size: 1024 })
  t.teardown(b.stop)
  const alice = await loggedIn(b, '+1 555 000 1001')
  const bob = await loggedIn(b, '15550001002', 'sandbox')
  t.teardown(() => { alice.c.close(); bob.c.close() })
  const bobChat = (await alice.c.request({ '@type': 'searchPublicChat', username: 'bob_baker', '@session': alice.session })).id
  const send = async (c: TestClient, session: string, chat: unknown, content: Msg): Promise<Msg> =>
    await c.request({ '@type': 'sendMessage', '@session': session, chat_id: chat, input_message_content: content })

  const bobAccount = join(b.settings.tdlib.path, bob.session, MARKER_FILE)
  for (const [what, content] of [
    ["another session's account file", documentOf(local(bobAccount))],
    ['/etc/passwd', documentOf(local('/etc/passwd'))],
    ['the issue\'s shape (document directly)', { '@type': 'inputMessageDocument', document: local('/etc/passwd') }],
    ['a photo thumbnail', { '@type': 'inputMessagePhoto', photo: { '@type': 'inputPhoto', photo: { '@type': 'inputFileId', id: 1 }, thumbnail: { '@type': 'inputThumbnail', thumbnail: local('/etc/passwd') } } }]
  ] as Array<[string, Msg]>) {
    const answer = await send(alice.c, alice.session, bobChat, content)
    t.equal(answer['@type'], 'error', `${what}: refused`)
    t.match(answer.message, /^LOCAL_FILE_NOT_ALLOWED: /, what)
    t.equal(answer.code, 403)
  }
  const preliminary = await alice.c.request({ '@type': 'preliminaryUploadFile', '@session': alice.session, file: local(bobAccount), priority: 1 })
  t.match(preliminary, { '@type': 'error', message: /^LOCAL_FILE_NOT_ALLOWED: / }, 'preliminaryUploadFile too')
  t.notOk(bob.c.received.some(m => m['@type'] === 'updateNewMessage'), 'nothing reached Bob')
  t.ok(b.logs.find(l => l.audit === 'request.refused' && l.reason === 'LOCAL_FILE_NOT_ALLOWED'), 'the refusal is audited')

  // Bytes over the protocol instead.
  const content = Buffer.from('hello file, from Alice\n')
  const uploaded = await alice.c.request({ '@type': 'broker.uploadFile', session: alice.session, name: 'hello.txt', data: content.toString('base64') })
  t.match(uploaded, { '@type': 'broker.fileUploaded', session: alice.session, size: content.length, file: { '@type': 'inputFileLocal', path: /^tdbroker-upload:[0-9a-f]{32}$/ } })
  const sent = await send(alice.c, alice.session, bobChat, documentOf(uploaded.file as Msg, 'the report'))
  t.equal(sent['@type'], 'message', 'the reference sends the document')
  const got = await bob.c.waitFor(newDocument(bob.session, 'the report'))
  const { name, file } = fileOf(got.message as Msg)
  t.equal(name, 'hello.txt', 'with the name it was uploaded as')
  t.equal(file.size, content.length)

  const stolen = await send(bob.c, bob.session, 1000001, documentOf(uploaded.file as Msg))
  t.match(stolen, { '@type': 'error', message: /^LOCAL_FILE_NOT_ALLOWED: / }, "Alice's reference is no good in Bob's session")

  // Alice's own copy is the uploaded file: getFile has a path, which she does not see.
  const aliceFile = await alice.c.request({ '@type': 'getFile', '@session': alice.session, file_id: file.id })
  t.match(aliceFile, { '@type': 'file', id: file.id, local: { path: '', is_downloading_completed: true } }, "getFile: no broker path for Alice")

  const downloaded = await bob.c.request({ '@type': 'downloadFile', '@session': bob.session, file_id: file.id, priority: 1, synchronous: true })
  t.match(downloaded, { '@type': 'file', local: { path: '', is_downloading_completed: true } }, 'downloadFile: done, no path')
  const update = await bob.c.waitFor(m => m['@type'] === 'updateFile' && m['@session'] === bob.session)
  t.match(update, { file: { id: file.id, local: { path: '', is_downloading_completed: true } } }, 'updateFile: no path')

  const read = await bob.c.request({ '@type': 'broker.readFile', session: bob.session, file_id: file.id, offset: 0, count: content.length })
  t.match(read, { '@type': 'broker.fileData', session: bob.session, file_id: file.id, offset: 0, size: content.length })
  t.equal(Buffer.from(read.data as string, 'base64').toString(), content.toString(), 'broker.readFile returns the bytes')
  const part = await bob.c.request({ '@type': 'broker.readFile', session: bob.session, file_id: file.id, offset: 6, count: 4 })
  t.equal(Buffer.from(part.data as string, 'base64').toString(), 'file', 'a part, from an offset')
  const past = await bob.c.request({ '@type': 'broker.readFile', session: bob.session, file_id: file.id, offset: 20, count: 100 })
  t.equal(past['@type'], 'error', "past the end is TDLib's error")
  t.notMatch(String(past.message), /^[A-Z_]+_NOT_ALLOWED/)

  // A file larger than one request, in parts, read back in parts.
  const large = Buffer.from(Array.from({ length: 9000 }, (_, i) => i % 251))
  const head = await alice.c.request({ '@type': 'broker.uploadFile', session: alice.session, name: 'large.bin', data: large.subarray(0, 4000).toString('base64') })
  const ref = head.file as Msg
  for (const [from, to] of [[4000, 8000], [8000, 9000]]) {
    const more = await alice.c.request({ '@type': 'broker.uploadFile', session: alice.session, append_to: ref.path, data: large.subarray(from, to).toString('base64') })
    t.match(more, { '@type': 'broker.fileUploaded', size: to, file: ref }, `part up to ${to}`)
  }
  const tooMuch = await alice.c.request({ '@type': 'broker.uploadFile', session: alice.session, append_to: ref.path, data: Buffer.alloc(1001).toString('base64') })
  t.match(tooMuch, { '@type': 'error', code: 413, message: /^UPLOAD_TOO_LARGE: .*max_upload_file_size/ })
  await send(alice.c, alice.session, bobChat, documentOf(ref, 'the large one'))
  const largeFile = fileOf((await bob.c.waitFor(newDocument(bob.session, 'the large one'))).message as Msg).file
  t.equal(largeFile.size, 9000)
  await bob.c.request({ '@type': 'downloadFile', '@session': bob.session, file_id: largeFile.id, priority: 1, synchronous: true })
  const parts: Buffer[] = []
  for (let offset = 0; offset < 9000; offset += 1024) {
    const r = await bob.c.request({ '@type': 'broker.readFile', session: bob.session, file_id: largeFile.id, offset, count: Math.min(1024, 9000 - offset) })
    parts.push(Buffer.from(r.data as string, 'base64'))
  }
  t.ok(Buffer.concat(parts).equals(large), 'the bytes Bob reads are the bytes Alice sent')

  // Bounds and bad input.
  const big = await bob.c.request({ '@type': 'broker.readFile', session: bob.session, file_id: file.id, offset: 0, count: 1025 })
  t.match(big, { '@type': 'error', code: 413, message: /^READ_TOO_LARGE: / })
  const huge = await alice.c.request({ '@type': 'broker.uploadFile', session: alice.session, data: Buffer.alloc(4097).toString('base64') })
  t.match(huge, { '@type': 'error', code: 413, message: /^UPLOAD_TOO_LARGE: / })
  const notBase64 = await alice.c.request({ '@type': 'broker.uploadFile', session: alice.session, data: 'not base64!' })
  t.match(notBase64, { '@type': 'error', message: /^INVALID_REQUEST: data must be/ })
  const noCount = await bob.c.request({ '@type': 'broker.readFile', session: bob.session, file_id: file.id })
  t.match(noCount, { '@type': 'error', message: /^INVALID_REQUEST: count/ })
  const outsider = await TestClient.connect(b.port)
  t.teardown(() => { outsider.close() })
  const notAttached = await outsider.request({ '@type': 'broker.uploadFile', session: alice.session, data: 'AAAA' })
  t.match(notAttached, { '@type': 'error', message: /^NOT_ATTACHED: / })

  // Nothing either client received names the broker's folders.
  for (const [who, c] of [['Alice', alice.c], ['Bob', bob.c]] as const) {
    const leaks = c.received.filter(m => JSON.stringify(m).includes(b.dir))
    t.same(leaks, [], `${who} never saw a broker path`)
  }
  t.equal(await outsider.request({ '@type': 'broker.ping' }).then(m => m['@type']), 'broker.pong', 'the broker is fine')
})

t.test('with local_files: files from those folders only, never the broker\'s own; paths shown', async t => {
  const shared = tempDir()
  const outbox = join(shared, 'outbox')
  mkdirSync(outbox)
  writeFileSync(join(outbox, 'invoice.txt'), 'invoice 42')
  // The settings folder (the broker's base folder) is listed too, and stays out.
  const base = tempDir()
  writeFileSync(join(base, 'secret.txt'), 'operator secrets')
  // The whole folder, which also holds tdlib.path: the sessions stay out.
  const b = await sandboxBroker({ local_files: [shared, base], tdlib: { path: join(shared, 'sessions') } }, base)
  t.teardown(() => { rmSync(shared, { recursive: true, force: true }); rmSync(base, { recursive: true, force: true }) })
  t.teardown(b.stop)
  const alice = await loggedIn(b, '+1 555 000 1001')
  const bob = await loggedIn(b, '15550001002', 'sandbox')
  t.teardown(() => { alice.c.close(); bob.c.close() })
  const bobChat = (await alice.c.request({ '@type': 'searchPublicChat', username: 'bob_baker', '@session': alice.session })).id
  const send = async (content: Msg): Promise<Msg> =>
    await alice.c.request({ '@type': 'sendMessage', '@session': alice.session, chat_id: bobChat, input_message_content: content })

  const sent = await send(documentOf(local(join(outbox, 'sub', '..', 'invoice.txt')), 'from the outbox'))
  t.equal(sent['@type'], 'message', 'a file inside local_files is sent')
  const got = await bob.c.waitFor(newDocument(bob.session, 'from the outbox'))
  const { file } = fileOf(got.message as Msg)
  const aliceFile = await alice.c.request({ '@type': 'getFile', '@session': alice.session, file_id: file.id })
  t.match(aliceFile.local, { path: join(outbox, 'invoice.txt') }, 'this client sees local paths')

  writeFileSync(join(outbox, 'photo.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]))
  const photo = await send({ '@type': 'inputMessagePhoto', photo: { '@type': 'inputPhoto', photo: local(join(outbox, 'photo.jpg')), width: 2, height: 1 }, caption: { '@type': 'formattedText', text: 'a photo', entities: [] } })
  t.equal(photo['@type'], 'message', 'a photo from local_files is sent')
  const gotPhoto = await bob.c.waitFor(m => m['@type'] === 'updateNewMessage' && m['@session'] === bob.session && ((m.message as Msg).content as Msg)['@type'] === 'messagePhoto')
  const size = ((((gotPhoto.message as Msg).content as Msg).photo as Msg).sizes as Msg[])[0]!
  t.match(size, { width: 2, height: 1, photo: { '@type': 'file', size: 7 } }, 'Bob gets the photo as a file object')
  const photoFile = await bob.c.request({ '@type': 'downloadFile', '@session': bob.session, file_id: (size.photo as Msg).id, priority: 1, synchronous: true })
  t.match(photoFile.local, { path: join(b.settings.tdlib.path, bob.session, 'photos', `${String((size.photo as Msg).id)}_photo.jpg`), is_downloading_completed: true }, 'downloaded into Bob\'s session folder, and shown to a client with local_files')

  const account = await send(documentOf(local(join(b.settings.tdlib.path, bob.session, MARKER_FILE))))
  t.match(account, { '@type': 'error', message: /^LOCAL_FILE_NOT_ALLOWED: / }, "the session folders stay out, even inside local_files")
  const passwd = await send(documentOf(local('/etc/passwd')))
  t.match(passwd, { '@type': 'error', message: /^LOCAL_FILE_NOT_ALLOWED: / }, 'outside local_files')
  const settingsFolder = await send(documentOf(local(join(base, 'secret.txt'))))
  t.match(settingsFolder, { '@type': 'error', message: /^LOCAL_FILE_NOT_ALLOWED: / }, 'the settings folder stays out')
})
