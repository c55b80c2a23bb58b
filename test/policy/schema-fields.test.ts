/**
 * The generated table of id-bearing request fields (src/policy/tdlib-fields.ts)
 * against TDLib's schema as installed: a TDLib upgrade that adds a request or
 * a field makes this fail until the table is regenerated, and every field is
 * then classified or listed as unclassified (which the chat scope refuses).
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { ID_FIELDS, REQUEST_EFFECTS, TDLIB_FIELDS_VERSION, UNCLASSIFIED_FIELDS, UNIONS } from '../../src/policy/tdlib-fields.js'
import { TDLIB_FUNCTIONS, TDLIB_VERSION } from '../../src/settings/tdlib-names.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const source = readFileSync(createRequire(import.meta.url).resolve('@prebuilt-tdlib/types/tdlib-types.d.ts'), 'utf8')

t.test('the committed table is what the generator derives from the installed schema', async t => {
  const { stdout, stderr } = await run(process.execPath, ['scripts/gen-tdlib-fields.mjs', '--check'], { cwd: root })
  t.equal(stdout + stderr, '', 'node scripts/gen-tdlib-fields.mjs --check finds it current')
  t.equal(TDLIB_FIELDS_VERSION, TDLIB_VERSION, 'the same TDLib as the names of src/settings/tdlib-names.ts')
})

t.test('a stale table is caught', async t => {
  // The check compares the whole file: any change to it (as a new TDLib would bring) fails.
  const file = fileURLToPath(new URL('../../src/policy/tdlib-fields.ts', import.meta.url))
  const text = readFileSync(file, 'utf8')
  t.ok(text.includes("export const TDLIB_FIELDS_VERSION = '"), 'the file has the layout the check compares')
  const result = await run(process.execPath, ['-e', `
    const fs = require('node:fs'); const real = fs.readFileSync;
    fs.readFileSync = (p, ...a) => { const s = real(p, ...a); return String(p).endsWith('tdlib-types.d.ts')
      ? s.replace('  export type getMe = {', '  export type getMe = {\\n    /** Identifier of a new thing */\\n    readonly thing_id?: number,') : s };
    require('node:module').syncBuiltinESMExports();
    import(${JSON.stringify(new URL('../../scripts/gen-tdlib-fields.mjs', import.meta.url).href)}).catch(e => { console.error(e); process.exit(2) })
  `, '--', '--check'], { cwd: root }).then(() => ({ code: 0, stderr: '' }), (e: { code?: number, stderr?: string }) => ({ code: e.code ?? -1, stderr: e.stderr ?? '' }))
  t.equal(result.code, 1, 'a schema with one more id field makes --check fail')
  t.match(result.stderr, /tdlib-fields\.ts is stale; run node scripts\/gen-tdlib-fields\.mjs/)
})

/** Every function of the .d.ts with its fields, read here independently of the generator. */
function functionFields (): Map<string, Array<{ name: string, doc: string }>> {
  const out = new Map<string, Array<{ name: string, doc: string }>>()
  for (const name of TDLIB_FUNCTIONS) {
    const start = source.indexOf(`\n  export type ${name} = {\n`)
    if (start < 0) throw new Error(`no declaration of ${name}`)
    const body = source.slice(start, source.indexOf('\n  }\n', start))
    const fields: Array<{ name: string, doc: string }> = []
    let doc = ''
    for (const line of body.split('\n')) {
      const d = /^ {4}\/\*\* (.*) \*\/$/.exec(line) ?? /^ {5}\* (.*)$/.exec(line)
      if (d !== null) { doc += ` ${d[1] ?? ''}`; continue }
      const f = /^ {4}readonly (\w+)\?: (.*),$/.exec(line)
      if (f !== null) {
        if (!/^(?:boolean|ReadonlyArray<boolean>)$/.test(f[2] ?? '')) fields.push({ name: f[1] ?? '', doc: doc.trim() })
        doc = ''
      } else if (line === '    /**' || line.startsWith('    readonly ')) doc = ''
    }
    out.set(name, fields)
  }
  return out
}

t.test('every field of every request that looks like an id is in the table', async t => {
  const unclassified = new Set(UNCLASSIFIED_FIELDS)
  const missing: string[] = []
  let checked = 0
  for (const [fn, fields] of functionFields()) {
    const specs = ID_FIELDS[fn] ?? {}
    for (const f of fields) {
      if (!/(?:^|_)ids?$|(?:^|_)(?:url|link|username)s?$|\bidentifier\b/i.test(`${f.name} ${f.doc}`)) continue
      checked++
      const spec = specs[f.name]
      if (spec === undefined) missing.push(`${fn}.${f.name}`)
      else if (spec.endsWith('unclassified') && !unclassified.has(`${fn}.${f.name}`)) missing.push(`${fn}.${f.name} (not listed as unclassified)`)
    }
  }
  t.ok(checked > 500, `${checked} id-like request fields checked`)
  t.same(missing, [], 'none is missing')
})

t.test('the table is consistent: every spec leads to a known type or union, unclassified specs are listed', async t => {
  const kinds = new Set(['chat', 'user', 'supergroup', 'basic_group', 'secret_chat', 'message', 'story', 'in_chat', 'in_call', 'file', 'remote_file', 'call',
    'group_call', 'callback_query', 'inline_message', 'chat_folder', 'business_connection', 'link', 'text_url', 'text_peer', 'global', 'own', 'unclassified'])
  const bad: string[] = []
  const listed: string[] = []
  for (const [type, specs] of Object.entries(ID_FIELDS)) {
    for (const [field, spec] of Object.entries(specs)) {
      const rest = spec.replace(/^(?:\[\])*/, '')
      if (rest.startsWith('>')) {
        const target = rest.slice(1)
        if (ID_FIELDS[target] === undefined && UNIONS[target] === undefined) bad.push(`${type}.${field} -> ${target}`)
      } else if (!kinds.has(rest)) bad.push(`${type}.${field}: ${rest}`)
      if (rest === 'unclassified') listed.push(`${type}.${field}`)
    }
  }
  t.same(bad, [])
  t.same(listed.sort(), [...UNCLASSIFIED_FIELDS].sort(), 'UNCLASSIFIED_FIELDS lists exactly the unclassified specs')
})

t.test('the classification of the fields the issue found', async t => {
  const spec = (type: string, field: string): string | undefined => ID_FIELDS[type]?.[field]
  t.equal(spec('sendMessage', 'chat_id'), 'chat')
  t.equal(spec('discardCall', 'call_id'), 'call', 'call ids (finding 3)')
  t.equal(spec('joinVideoChat', 'group_call_id'), 'group_call')
  t.equal(spec('answerCallbackQuery', 'callback_query_id'), 'callback_query')
  t.equal(spec('discardCall', 'connection_id'), 'in_call', 'a connection of the call next to it')
  t.equal(spec('editInlineMessageText', 'inline_message_id'), 'inline_message')
  t.equal(spec('getChatFolder', 'chat_folder_id'), 'chat_folder')
  t.equal(spec('inputFileId', 'id'), 'file', 'inputFileId.id (finding 1)')
  t.equal(spec('getFile', 'file_id'), 'file')
  t.equal(spec('downloadFile', 'file_id'), 'file')
  t.equal(spec('getMessageLinkInfo', 'url'), 'link', 'a t.me/c/... link (finding 4)')
  t.equal(spec('inputMessageReplyToExternalMessage', 'chat_id'), 'chat')
  t.equal(spec('inputMessageReplyToExternalMessage', 'message_id'), 'message')
  t.equal(spec('textEntityTypeMentionName', 'user_id'), 'user', 'a mention (finding 12)')
  t.equal(spec('textEntityTypeTextUrl', 'url'), 'text_url', 'a tg://user?id= text URL (finding 12)')
  t.equal(spec('searchUserByPhoneNumber', 'phone_number'), 'text_peer')
  t.equal(spec('importContacts', 'contacts'), '[]>importedContact')
  t.equal(spec('sendMessage', 'input_message_content'), '>InputMessageContent')
  t.ok(UNIONS.InputFile?.includes('inputFileId'), 'unions keep their members')
  t.equal(REQUEST_EFFECTS.createNewSupergroupChat, 'creates_chat', 'creating a chat (finding 6)')
  t.equal(REQUEST_EFFECTS.createNewBasicGroupChat, 'creates_chat')
  t.equal(REQUEST_EFFECTS.requestQrCodeAuthentication, 'login', 'the QR login (finding 7)')
  t.equal(REQUEST_EFFECTS.logOut, 'lifecycle')
  t.equal(REQUEST_EFFECTS.sendMessage, undefined)
})
