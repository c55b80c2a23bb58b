/**
 * Parameters in every form the Bot API takes: the query string of GET and
 * POST, JSON, x-www-form-urlencoded and multipart/form-data (text fields,
 * as frameworks send them through FormData, and loosely written parts); too
 * many fields and a body that is not multipart are refused with a clear 400.
 */
import t from 'tap'
import { MAX_MULTIPART_FIELDS } from '../../src/gateway/params.js'
import { ALICE, botCall, say, withGateway } from './helpers.js'

t.test('query string, JSON, form and multipart', async t => {
  const { world, running, alice } = await withGateway(t, { backend: {} })
  await say(alice, 'hello')
  const first = await botCall(running.apiRoot, world.consumers[0]!.token, 'getUpdates', { timeout: 20 })
  t.equal(first.body.result?.[0]?.message?.text, 'hello', 'the bot has met Alice')
  const at = (method: string, query = ''): string => `${running.apiRoot}/bot${world.consumers[0]!.token}/${method}${query}`
  const json = async (res: Response): Promise<{ status: number, body: any }> => ({ status: res.status, body: await res.json() })

  const get = await json(await fetch(at('sendMessage', `?chat_id=${ALICE.id}&text=${encodeURIComponent('by GET & query')}`)))
  t.same([get.status, get.body.result?.text, get.body.description], [200, 'by GET & query', undefined], 'GET with a query string')
  const postQuery = await json(await fetch(at('sendMessage', `?chat_id=${ALICE.id}&text=query`), { method: 'POST' }))
  t.same([postQuery.status, postQuery.body.result?.text], [200, 'query'], 'POST with only a query string')
  const both = await json(await fetch(at('sendMessage', `?chat_id=${ALICE.id}&text=query`), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'body' }) }))
  t.same([both.status, both.body.result?.text], [200, 'body'], 'the body wins over the query string')
  const form = await json(await fetch(at('sendMessage'), { method: 'POST', body: new URLSearchParams({ chat_id: String(ALICE.id), text: 'form', reply_markup: JSON.stringify({ inline_keyboard: [[{ text: 'b', callback_data: 'd' }]] }) }) }))
  t.same([form.status, form.body.result?.text, form.body.result?.reply_markup?.inline_keyboard?.[0]?.[0]?.text], [200, 'form', 'b'], 'x-www-form-urlencoded, with a JSON field')

  const fd = new FormData()
  fd.append('chat_id', String(ALICE.id))
  fd.append('text', 'multipart ✓ "quoted"; a=b&c')
  fd.append('disable_notification', 'true')
  const multi = await json(await fetch(at('sendMessage'), { method: 'POST', body: fd }))
  t.same([multi.status, multi.body.result?.text], [200, 'multipart ✓ "quoted"; a=b&c'], 'multipart/form-data text fields, unicode and quotes kept')

  const withFile = new FormData()
  withFile.append('chat_id', String(ALICE.id))
  withFile.append('document', new Blob(['file bytes']), 'a.txt')
  const file = await json(await fetch(at('sendDocument'), { method: 'POST', body: withFile }))
  t.same([file.status, file.body.result?.document?.file_name], [200, 'a.txt'], 'a file part is an upload (files.test.ts)')
  const fileInSend = await json(await fetch(at('sendMessage'), { method: 'POST', body: withFile }))
  t.same([fileInSend.status, fileInSend.body.description], [400, 'Bad Request: parameter "text" is required'], 'a method that takes no file ignores the part')
  // Parts as some frameworks write them: no space after the colon, names unquoted.
  const raw = '--b\r\ncontent-disposition:form-data;name=chat_id\r\n\r\n' + String(ALICE.id) + '\r\n--b\r\nContent-Disposition: form-data; name="text"\r\n\r\nloose\r\n--b--\r\n'
  const loose = await json(await fetch(at('sendMessage'), { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=b' }, body: raw }))
  t.same([loose.status, loose.body.result?.text], [200, 'loose'], 'read as leniently as Telegram reads it')

  const many = new FormData()
  for (let i = 0; i <= MAX_MULTIPART_FIELDS; i++) many.append(`f${i}`, 'x')
  const tooMany = await json(await fetch(at('getMe'), { method: 'POST', body: many }))
  t.same([tooMany.status, tooMany.body.description], [400, `Bad Request: a multipart/form-data body may have at most ${MAX_MULTIPART_FIELDS} fields`])
  const broken = await json(await fetch(at('getMe'), { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=zz' }, body: '--zz\r\nno headers end' }))
  t.same([broken.status, broken.body.description], [400, 'Bad Request: the multipart/form-data body could not be read (check its boundary)'])
  const noBoundary = await json(await fetch(at('getMe'), { method: 'POST', headers: { 'content-type': 'multipart/form-data' }, body: 'x' }))
  t.equal(noBoundary.status, 400, 'no boundary: 400')
  const other = await json(await fetch(at('getMe'), { method: 'POST', headers: { 'content-type': 'text/xml' }, body: '<x/>' }))
  t.same([other.status, other.body.description], [400, 'Bad Request: unsupported content type text/xml; send JSON, x-www-form-urlencoded or multipart/form-data'])
  const after = await json(await fetch(at('getMe')))
  t.equal(after.status, 200, 'the gateway still answers')
})
