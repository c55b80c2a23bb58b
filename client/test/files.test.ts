/** File bytes through the client on the sandbox: an upload in parts, a document sent with it, its bytes read back. */
import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { startBroker, tempDir } from '../../test/helpers/broker.js'
import { ALICE, BOB } from '../../test/resolve/helpers.js'
import { connect, login } from '../src/index.js'

t.test('uploadFile in parts with progress, sendMessage with the reference, readFile on the other side', async t => {
  const dir = tempDir()
  const b = await startBroker({
    tdlib: { backend: 'sandbox', path: 'sessions', api_id: 94575, api_hash: 'x' },
    allowed_requests: ['setAuthenticationPhoneNumber', 'checkAuthenticationCode', 'checkAuthenticationPassword', 'getAuthorizationState', 'sendMessage', 'searchPublicChat', 'downloadFile', 'readFilePart'],
    allowed_updates: ['updateNewMessage'],
    max_upload_size: 4096, max_read_size: 2048
  }, { dir })
  t.teardown(b.stop)
  const url = `tcp://127.0.0.1:${b.port}`
  const alice = await connect({ url })
  const bob = await connect({ url })
  t.teardown(() => { alice.close(); bob.close() })
  const a = await alice.createSession()
  const bb = await bob.createSession()
  await login(a, { getPhoneNumber: () => ALICE.phone, getAuthCode: () => '12345' })
  await login(bb, { getPhoneNumber: () => BOB.phone, getAuthCode: () => '12345', getPassword: () => 'sandbox' })

  const content = randomBytes(10_000)
  const path = join(dir, 'report.bin')
  writeFileSync(path, content)
  const progress: Array<[number, number | undefined]> = []
  const file = await a.uploadFile(path, { partSize: 4096, onProgress: (sent, total) => { progress.push([sent, total]) } })
  t.match(file, { '@type': 'inputFileLocal', path: /^tdbroker-upload:/ })
  t.same(progress, [[4096, 10_000], [8192, 10_000], [10_000, 10_000]], 'three parts, with progress')

  const chat = await a.invoke({ '@type': 'searchPublicChat', username: BOB.username })
  const arrived = bb.waitFor(u => u['@type'] === 'updateNewMessage' && (u as unknown as { message: { content: { '@type': string } } }).message.content['@type'] === 'messageDocument')
  arrived.catch(() => {})
  await a.invoke({
    '@type': 'sendMessage', chat_id: chat.id,
    input_message_content: { '@type': 'inputMessageDocument', document: { '@type': 'inputDocument', document: file }, caption: { '@type': 'formattedText', text: 'the report', entities: [] } }
  })
  const update = await arrived as unknown as { message: { content: { document: { file_name: string, document: { id: number, size: number } } } } }
  t.equal(update.message.content.document.file_name, 'report.bin', 'named after the path')
  const fileId = update.message.content.document.document.id
  const reads: number[] = []
  const bytes = await bb.readFile(fileId, { partSize: 2048, onProgress: read => { reads.push(read) } })
  t.equal(Buffer.compare(Buffer.from(bytes), content), 0, 'the same 10,000 bytes')
  t.same(reads, [2048, 4096, 6144, 8192, 10_000], 'read in five parts')

  const fromBuffer = await a.uploadFile(new Uint8Array([1, 2, 3]), { name: 'three.bin' })
  t.match(fromBuffer, { path: /^tdbroker-upload:/ }, 'bytes in memory upload too')
})
