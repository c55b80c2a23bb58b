/**
 * Files: unmodified grammY uploads a document (InputFile, so multipart
 * with a file part) and the customer reads the very bytes; a photo comes
 * as attach://<part> with a caption; a file_id sends the same file again;
 * the uploaded copy is deleted once sent; a URL, a body over
 * bot_api.max_upload_size and a file part where a string belongs are
 * refused clearly.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { Bot, InputFile } from 'grammy'
import { UPLOAD_FOLDER } from '../../src/files/uploads.js'
import { shapeProblems } from './bot-api-shape.js'
import { ALICE, botCall, botMessage, say, withGateway } from './helpers.js'

const MIB = 1024 * 1024

t.test('sendDocument and sendPhoto with uploads and file ids', async t => {
  const { world, running, alice, tokens } = await withGateway(t, { backend: {} }, { botApi: { max_upload_size: MIB } })
  const bot = new Bot(tokens.backend!, { client: { apiRoot: running.apiRoot } })
  // The bot may write to Alice once she has written to it.
  await say(alice, 'hello')
  t.equal((await botCall(running.apiRoot, tokens.backend!, 'getUpdates', { timeout: 10 })).body.result[0]?.message?.text, 'hello')
  const bytes = Buffer.from('quarterly figures\n'.repeat(1000))
  const doc = await bot.api.sendDocument(ALICE.id, new InputFile(bytes, 'report.txt'), { caption: 'The *report*', parse_mode: 'MarkdownV2' })
  t.same(shapeProblems(doc, 'Message'), [], 'a Bot API Message')
  t.same([doc.document?.file_name, doc.document?.mime_type, doc.document?.file_size], ['report.txt', 'text/plain', bytes.length])
  t.same([doc.caption, doc.caption_entities], ['The report', [{ offset: 4, length: 6, type: 'bold' }]])
  const seen = await botMessage(alice, 'the document')
  t.equal(seen.content['@type'], 'messageDocument')
  const file = seen.content.document.document
  t.equal(file.remote.id, doc.document?.file_id, 'file_id is TDLib\'s remote file id')
  t.equal((await alice.tcp.request({ '@type': 'downloadFile', '@session': alice.session, file_id: file.id, priority: 1, offset: 0, limit: 0, synchronous: true }))['@type'], 'file')
  const read = await alice.tcp.request({ '@type': 'readFilePart', '@session': alice.session, file_id: file.id, offset: 0, count: 0 })
  t.ok(Buffer.from(String(read.data), 'base64').equals(bytes), 'the customer reads the bytes that were uploaded')
  const uploads = join(running.broker.registry.get(world.botSession)!.directory, UPLOAD_FOLDER)
  t.same(readdirSync(uploads), [], 'the uploaded copy is deleted once TDLib confirmed the message')

  // A photo as attach://<part>, as frameworks send media in structures.
  const form = new FormData()
  form.append('chat_id', String(ALICE.id))
  form.append('photo', 'attach://pic')
  form.append('pic', new Blob([Buffer.alloc(2048, 7)]), 'cat.jpg')
  form.append('caption', 'a cat')
  const photo = await (await fetch(`${running.apiRoot}/bot${tokens.backend!}/sendPhoto`, { method: 'POST', body: form })).json() as any
  t.equal(photo.ok, true, JSON.stringify(photo))
  t.same(shapeProblems(photo.result, 'Message'), [])
  t.same([photo.result.photo.length, photo.result.photo[0].file_size, photo.result.caption], [1, 2048, 'a cat'])
  t.equal((await botMessage(alice, 'the photo', m => m.content['@type'] === 'messagePhoto')).content.caption.text, 'a cat', 'the customer gets the photo')

  // The same document again by its file_id (a plain JSON body).
  const again = await botCall(running.apiRoot, tokens.backend!, 'sendDocument', { chat_id: ALICE.id, document: doc.document?.file_id })
  t.equal(again.status, 200)
  t.equal(again.body.result.document.file_unique_id, doc.document?.file_unique_id, 'the same file')
  const unknown = await botCall(running.apiRoot, tokens.backend!, 'sendDocument', { chat_id: ALICE.id, document: 'no-such-file' })
  t.same([unknown.status, unknown.body.description], [400, 'Bad Request: invalid file identifier'], "TDLib's error for an unknown file_id")

  const url = await botCall(running.apiRoot, tokens.backend!, 'sendPhoto', { chat_id: ALICE.id, photo: 'http://169.254.169.254/latest/meta-data' })
  t.same([url.status, url.body.description], [400, 'Bad Request: parameter "photo" is a URL, which the tdbroker gateway does not send (it never fetches an address a token names); upload the file as multipart/form-data or send a file_id'])
  const missing = await botCall(running.apiRoot, tokens.backend!, 'sendDocument', { chat_id: ALICE.id })
  t.same([missing.status, missing.body.description], [400, 'Bad Request: parameter "document" is required'])

  const wrongPart = new FormData()
  wrongPart.append('chat_id', String(ALICE.id))
  wrongPart.append('text', new Blob(['x']), 'text.txt')
  const notText = await (await fetch(`${running.apiRoot}/bot${tokens.backend!}/sendMessage`, { method: 'POST', body: wrongPart })).json() as any
  t.same([notText.error_code, notText.description], [400, 'Bad Request: parameter "text" must be a string, not a file'])

  const big = new FormData()
  big.append('chat_id', String(ALICE.id))
  big.append('document', new Blob([Buffer.alloc(MIB + 1)]), 'big.bin')
  const tooBig = await fetch(`${running.apiRoot}/bot${tokens.backend!}/sendDocument`, { method: 'POST', body: big })
  t.same([tooBig.status, ((await tooBig.json()) as any).description], [413, `Request Entity Too Large: the request body is larger than ${MIB} bytes (bot_api.max_upload_size)`])
  const after = await bot.api.getMe()
  t.equal(after.id, doc.from?.id, 'the gateway still answers')
})
