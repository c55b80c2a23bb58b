/**
 * broker.uploadFile and broker.readFile through a node that does not run
 * the session: the bytes are written on the owner's disk (where its TDLib
 * reads them), the reference sends the document, parts appended through
 * the other node join the same file, and readFile reads it back.
 */
import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { TestClient, type Msg } from '../helpers/client.js'
import { REQUESTS, freshPrefix, login, startNode, until } from './helpers.js'

t.test('uploadFile and readFile for a session another node runs', async t => {
  const prefix = freshPrefix()
  const raw = { allowed_requests: [...REQUESTS, 'readFilePart'] }
  const a = await startNode(prefix, 'a', { raw })
  t.teardown(async () => { await a.stop() })
  const b = await startNode(prefix, 'b', { raw })
  t.teardown(async () => { await b.stop() })
  const ca = await TestClient.connect(a.port)
  const cb = await TestClient.connect(b.port)
  t.teardown(() => { ca.close(); cb.close() })
  const session = await ca.createSession()
  await login(ca, session)
  await until(() => (b.broker.registry.get(session) as { owner?: string } | undefined)?.owner === 'a', 10_000, 'node b to see node a run the session')
  t.equal((await cb.request({ '@type': 'broker.attachSession', session }, 30_000))['@type'], 'broker.attached')

  const first = Buffer.from('hello from node b, ')
  const rest = Buffer.from('in two parts\n')
  const uploaded = await cb.request({ '@type': 'broker.uploadFile', session, name: 'hello.txt', data: first.toString('base64') }, 30_000)
  t.match(uploaded, { '@type': 'broker.fileUploaded', session, size: first.length, file: { '@type': 'inputFileLocal', path: /^tdbroker-upload:[0-9a-f]{32}$/ } })
  const token = (uploaded.file as Msg).path as string
  const more = await cb.request({ '@type': 'broker.uploadFile', session, append_to: token, data: rest.toString('base64') }, 30_000)
  t.match(more, { '@type': 'broker.fileUploaded', size: first.length + rest.length }, 'a part appended through node b')

  // The file is in node a's session folder, not on node b's side.
  const folder = join(a.settings.tdlib.path, session, 'broker_uploads', token.slice('tdbroker-upload:'.length))
  t.equal(readFileSync(join(folder, 'hello.txt'), 'utf8'), first.toString() + rest.toString(), 'written on the owner, both parts')
  t.notOk(existsSync(join(b.settings.tdlib.path, session)), 'node b has no folder of the session')
  t.notOk(existsSync('broker_uploads'), 'nothing written relative to the working folder')

  const me = await cb.request({ '@type': 'getMe', '@session': session }, 30_000)
  const sent = await cb.request({ '@type': 'sendMessage', chat_id: me.id, '@session': session, input_message_content: { '@type': 'inputMessageDocument', document: { '@type': 'inputDocument', document: uploaded.file }, caption: { '@type': 'formattedText', text: 'the report', entities: [] } } }, 30_000)
  t.equal(sent['@type'], 'message', 'the reference sends the document through node b')
  const file = ((sent.content as Msg).document as Msg).document as Msg
  t.equal(file.size, first.length + rest.length, 'with all its bytes')

  const read = await cb.request({ '@type': 'broker.readFile', session, file_id: file.id, offset: 6, count: 4 }, 30_000)
  t.match(read, { '@type': 'broker.fileData', session, file_id: file.id, offset: 6, size: 4 })
  t.equal(Buffer.from(read.data as string, 'base64').toString(), 'from', 'broker.readFile through node b reads the owner\'s file')

  // A reference is only good for the client and session it was issued to, on every node.
  const other = await cb.request({ '@type': 'broker.uploadFile', session, append_to: 'tdbroker-upload:00000000000000000000000000000000', data: rest.toString('base64') }, 30_000)
  t.match(other, { '@type': 'error', message: /^INVALID_REQUEST: / }, 'an unknown reference is refused by the owner')
  t.same(readdirSync(join(a.settings.tdlib.path, session, 'broker_uploads')).length, 1, 'one upload folder on the owner')
})
