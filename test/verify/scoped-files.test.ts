/**
 * Issue 10 point 13 and issue 11 point 1 for a chat-scoped client, on the
 * sandbox through real sockets: "desk" may use only Alice's chat in Bob's
 * session. A local path is refused even towards its own chat (and in
 * preliminaryUploadFile); its own upload reference sends to Alice but not
 * to Dave; a file id it was never shown (inputFileId, getFile, readFilePart
 * through broker.readFile) is refused; a file it was shown in Alice's chat
 * may be read back; no answer it gets shows a broker path.
 */
import t from 'tap'
import type { Msg } from '../helpers/client.js'
import { errorName } from '../helpers/clients.js'
import { ALICE, deskScene } from '../helpers/desk.js'

const DAVE = 1000004
const DESK = ['sendMessage', 'getFile', 'downloadFile', 'readFilePart', 'preliminaryUploadFile']

const doc = (file: Msg, caption = ''): Msg => ({
  '@type': 'inputMessageDocument', document: { '@type': 'inputDocument', document: file }, caption: { '@type': 'formattedText', text: caption, entities: [] }
})

t.test('a chat-scoped client: no local paths, its uploads only to its chats, only files it was shown', async t => {
  const { broker: b, backend, desk, login } = await deskScene(t, {
    desk: DESK,
    requests: ['searchPublicChat'],
    allowed_updates: ['updateNewMessage', 'updateFile']
  })
  const bob = await login('15550001002', 'sandbox')
  await backend.request({ '@type': 'searchPublicChat', username: 'alice', '@session': bob })
  await backend.request({ '@type': 'searchPublicChat', username: 'dave_d', '@session': bob })
  t.equal((await desk.request({ '@type': 'broker.attachSession', session: bob }))['@type'], 'broker.attached')
  const send = async (chat: number, content: Msg): Promise<Msg> => await desk.request({ '@type': 'sendMessage', chat_id: chat, input_message_content: content, '@session': bob })

  // Local paths: refused, even to the desk's own chat.
  const account = `${b.settings.tdlib.path}/${bob}/td.binlog`
  for (const path of ['/etc/passwd', account, '/proc/self/environ', '../../settings.json']) {
    const r = await send(ALICE, doc({ '@type': 'inputFileLocal', path }))
    t.equal(errorName(r), 'LOCAL_FILE_NOT_ALLOWED', `${path} to Alice: refused`)
  }
  t.equal(errorName(await send(ALICE, doc({ '@type': 'inputFileGenerated', original_path: '/etc/passwd', conversion: 'x', expected_size: 0 }))), 'LOCAL_FILE_NOT_ALLOWED', 'inputFileGenerated with a path too')
  t.equal(errorName(await desk.request({ '@type': 'preliminaryUploadFile', file: { '@type': 'inputFileLocal', path: '/etc/passwd' }, priority: 1, '@session': bob })), 'LOCAL_FILE_NOT_ALLOWED', 'preliminaryUploadFile too')

  // Its own upload: to Alice yes, to Dave no.
  const up = await desk.request({ '@type': 'broker.uploadFile', session: bob, name: 'note.txt', data: Buffer.from('desk note').toString('base64') })
  t.equal(up['@type'], 'broker.fileUploaded')
  t.equal(errorName(await send(DAVE, doc(up.file as Msg))), 'CHAT_NOT_ALLOWED', 'the upload may not go to Dave')
  const sent = await send(ALICE, doc(up.file as Msg, 'from desk'))
  t.equal(sent['@type'], 'message', `the upload goes to Alice: ${JSON.stringify(sent).slice(0, 160)}`)

  // A file Bob got elsewhere (from Dave), which the desk was never shown.
  const dave = await login('15550001004')
  await backend.request({ '@type': 'searchPublicChat', username: 'bob_baker', '@session': dave })
  const daveUp = await backend.request({ '@type': 'broker.uploadFile', session: dave, name: 'secret.txt', data: Buffer.from('dave secret').toString('base64') })
  const daveSent = await backend.request({ '@type': 'sendMessage', chat_id: 1000002, input_message_content: doc(daveUp.file as Msg, 'secret'), '@session': dave })
  t.equal(daveSent['@type'], 'message')
  const inBob = await backend.waitFor(m => m['@type'] === 'updateNewMessage' && m['@session'] === bob && ((m.message as Msg).content as Msg)['@type'] === 'messageDocument' &&
    (((m.message as Msg).content as Msg).caption as Msg).text === 'secret')
  const secretId = ((((inBob.message as Msg).content as Msg).document as Msg).document as Msg).id as number
  t.ok(Number.isSafeInteger(secretId) && secretId > 0, `Dave's file is file ${secretId} in Bob's session`)
  t.notOk(desk.received.some(m => JSON.stringify(m).includes('secret.txt')), "the desk was not shown Dave's message")
  t.equal(errorName(await send(ALICE, doc({ '@type': 'inputFileId', id: secretId }))), 'CHAT_NOT_ALLOWED', 're-posting a file id it was never shown is refused')
  t.equal(errorName(await desk.request({ '@type': 'getFile', file_id: secretId, '@session': bob })), 'CHAT_NOT_ALLOWED', 'getFile of it too')
  t.equal(errorName(await desk.request({ '@type': 'downloadFile', file_id: secretId, priority: 1, synchronous: true, '@session': bob })), 'CHAT_NOT_ALLOWED', 'downloadFile of it too')
  t.equal(errorName(await desk.request({ '@type': 'broker.readFile', session: bob, file_id: secretId, count: 5 })), 'CHAT_NOT_ALLOWED', 'broker.readFile of it too')
  const ownId = (((sent.content as Msg).document as Msg).document as Msg).id as number
  for (const id of [1, 2, 3, 4, 5]) {
    const r = await send(ALICE, doc({ '@type': 'inputFileId', id }))
    if (id === ownId) t.equal(r['@type'], 'message', `inputFileId ${id}, the desk's own file in Alice's chat, may be sent again`)
    else t.equal(errorName(r), 'CHAT_NOT_ALLOWED', `inputFileId ${id}: refused (finding 1: ids counted up from 1)`)
  }
  const back = await desk.request({ '@type': 'broker.readFile', session: bob, file_id: ownId, count: 9 })
  t.equal(Buffer.from(String(back.data), 'base64').toString(), 'desk note', `its own file reads back: ${JSON.stringify(back).slice(0, 120)}`)
  t.notOk(desk.received.some(m => JSON.stringify(m).includes(b.dir)), 'no answer or update the desk got shows a broker path')
  t.equal((await desk.request({ '@type': 'broker.ping' }))['@type'], 'broker.pong')
})
