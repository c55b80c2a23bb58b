/**
 * The local-files step on its own: local paths found at any depth, refused
 * without local_files, accepted only inside the folders once resolved
 * (real symlinks and `..` in a temporary folder), never inside the broker's
 * own folders; broker-issued references swapped for their path; answers
 * with their paths blanked.
 */
import t from 'tap'
import { mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { BrokerError } from '../../src/errors.js'
import { UploadStore } from '../../src/files/uploads.js'
import { allowedLocalPath, findLocalPaths, localFilesStep } from '../../src/policy/local-files.js'
import { mayHoldPaths, narrowFolders, stripLocalPaths } from '../../src/policy/local-paths.js'
import { openPolicy, globalPolicy } from '../../src/policy/policy.js'
import { scopedPolicy } from '../../src/policy/scope.js'
import type { RequestContext } from '../../src/server/pipeline.js'
import type { Session } from '../../src/session/session.js'
import type { TdObject } from '../../src/tdlib/backend.js'
import { tempDir } from '../helpers/broker.js'

const root = realpathSync(tempDir('tdbroker-local-'))
t.teardown(() => { rmSync(root, { recursive: true, force: true }) })
const uploads = join(root, 'uploads')
const secret = join(root, 'secret')
const sessions = join(root, 'sessions')
for (const d of [uploads, secret, sessions, join(sessions, '42')]) mkdirSync(d, { recursive: true })
writeFileSync(join(uploads, 'ok.txt'), 'fine')
writeFileSync(join(secret, 'key.txt'), 'secret')
writeFileSync(join(sessions, '42', 'td.binlog'), 'account')
symlinkSync(join(secret, 'key.txt'), join(uploads, 'link-out.txt'))
symlinkSync(join(uploads, 'ok.txt'), join(uploads, 'link-in.txt'))
symlinkSync(secret, join(uploads, 'dir-out'))
symlinkSync(join(secret, 'missing.txt'), join(uploads, 'dangling'))
// tdlib.path inside an allowed folder: still the broker's own.
mkdirSync(join(uploads, 'sessions-here'))
const forbidden = [sessions, join(uploads, 'sessions-here')]
writeFileSync(join(uploads, 'sessions-here', 'td.binlog'), 'account')

const doc = (path: unknown): TdObject => ({
  '@type': 'sendMessage', chat_id: 1,
  input_message_content: { '@type': 'inputMessageDocument', document: { '@type': 'inputDocument', document: { '@type': 'inputFileLocal', path } } }
})

t.test('local paths are found at any depth, in every documented field', async t => {
  const deep = { '@type': 'x', a: [{ b: { c: [[{ '@type': 'inputFileLocal', path: '/p1' }]] } }] }
  t.same(findLocalPaths(deep).map(f => f.holder[f.field]), ['/p1'])
  const many = {
    '@type': 'sendMessageAlbum',
    input_message_contents: [
      { '@type': 'inputMessagePhoto', photo: { '@type': 'inputPhoto', photo: { '@type': 'inputFileLocal', path: '/a' }, thumbnail: { '@type': 'inputThumbnail', thumbnail: { '@type': 'inputFileLocal', path: '/b' } } } },
      { '@type': 'inputMessageDocument', document: { '@type': 'inputDocument', document: { '@type': 'inputFileGenerated', original_path: '/c', conversion: '#url#' } } }
    ]
  }
  t.same(findLocalPaths(many).map(f => `${f.type}.${f.field}`), ['inputFileLocal.path', 'inputFileLocal.path', 'inputFileGenerated.original_path'])
  t.same(findLocalPaths({ '@type': 'inputFileGenerated', conversion: 'x' }).map(f => f.type), ['inputFileGenerated'], 'a generated file counts without its path')
  t.same(findLocalPaths({ '@type': 'setOption', name: 'language_pack_database_path', value: { '@type': 'optionValueString', value: '/db' } }).map(f => f.holder[f.field]), ['/db'])
  t.same(findLocalPaths({ '@type': 'getLanguagePackString', language_pack_database_path: '/db' }).length, 1)
  t.same(findLocalPaths({ '@type': 'getSuggestedFileName', file_id: 1, directory: '/tmp' }).length, 1)
  t.same(findLocalPaths({ '@type': 'setChatDraftMessage', draft_message: { '@type': 'draftMessage', content: { '@type': 'draftMessageContentVoiceNote', file_path: '/v' } } }).length, 1)
  t.same(findLocalPaths({ '@type': 'getFileMimeType', file_name: '/etc/passwd' }), [], 'a name only looked at as text is not a path')
  t.same(findLocalPaths({ '@type': 'sendMessage', text: '{"@type":"inputFileLocal","path":"/x"}' }), [], 'text that looks like JSON is text')
})

t.test('allowedLocalPath resolves symlinks and .., and keeps to the folders', async t => {
  const allow = async (p: string): Promise<string | undefined> => await allowedLocalPath(p, [uploads], forbidden)
  t.equal(await allow(join(uploads, 'ok.txt')), join(uploads, 'ok.txt'))
  t.equal(await allow(join(uploads, 'link-in.txt')), join(uploads, 'ok.txt'), 'a symlink inside resolves to its target')
  t.equal(await allow(join(uploads, 'link-out.txt')), undefined, 'a symlink out of the folder is refused')
  t.equal(await allow(join(uploads, 'dir-out', 'key.txt')), undefined, 'a symlinked folder out is refused')
  t.equal(await allow(join(uploads, 'dangling')), undefined, 'a dangling symlink is refused (TDLib would follow it)')
  t.equal(await allow(`${uploads}/../secret/key.txt`), undefined, '.. out of the folder is refused')
  t.equal(await allow(`${uploads}/../uploads/ok.txt`), join(uploads, 'ok.txt'), '.. that stays inside is fine')
  t.equal(await allow(join(uploads, 'sessions-here', 'td.binlog')), undefined, 'the broker\'s folders stay refused inside an allowed folder')
  t.equal(await allow('uploads/ok.txt'), undefined, 'relative paths are refused')
  t.equal(await allow('/etc/passwd'), undefined)
  t.equal(await allow(join(uploads, 'new.db')), join(uploads, 'new.db'), 'a file that does not exist yet, inside')
  t.equal(await allow(join(secret, 'new.db')), undefined, 'a file that does not exist yet, outside')
  t.equal(await allowedLocalPath(join(uploads, 'ok.txt'), [], forbidden), undefined, 'no folders: nothing')
  t.equal(await allowedLocalPath('/proc/self/environ', ['/'], ['/proc']), undefined, '/proc stays out even under "/"')
  const fifo = join(uploads, 'fifo')
  execFileSync('mkfifo', [fifo])
  t.equal(await allow(fifo), undefined, 'a FIFO is not a file to upload')
})

const session = { id: '42' } as unknown as Session

function context (request: TdObject, localFiles: string[], name = 'alice'): RequestContext {
  const policy = openPolicy(globalPolicy({ allowed_requests: ['sendMessage'], allowed_updates: [], local_files: localFiles }))
  return { client: { name, connectionId: 'c1', remote: 'x', auth: 'key', policy }, session, request, log: undefined as never }
}

const fileAnswer = (path: string): TdObject => ({
  '@type': 'message', content: { '@type': 'messageDocument', document: { '@type': 'document', document: { '@type': 'file', id: 3, local: { '@type': 'localFile', path, is_downloading_completed: true } } } }
})

async function refusal (p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    return e instanceof BrokerError ? `${e.errorName} ${e.message}` : String(e)
  }
  return 'no refusal'
}

t.test('the step: refuses, rewrites to the real path, swaps references, blanks answers', async t => {
  const store = new UploadStore()
  const step = localFilesStep(store, forbidden)
  let reached: TdObject | undefined
  const next = async (ctx: RequestContext): Promise<TdObject> => { reached = ctx.request; return fileAnswer(join(sessions, '42', 'documents', 'x')) }

  reached = undefined
  const ctx1 = context(doc(join(sessions, '42', 'td.binlog')), [])
  t.match(await refusal(step(ctx1, async () => await next(ctx1))), /^LOCAL_FILE_NOT_ALLOWED .*may not name local files/)
  t.equal(reached, undefined, 'a refused request never reaches TDLib')

  const ctx2 = context(doc(join(uploads, 'link-out.txt')), [uploads])
  t.match(await refusal(step(ctx2, async () => await next(ctx2))), /^LOCAL_FILE_NOT_ALLOWED .*is not inside a folder of local_files/)
  const ctx2b = context(doc(join(uploads, 'nope.txt')), [uploads])
  t.equal(await refusal(step(ctx2b, async () => await next(ctx2b))), 'no refusal', 'a missing file inside is TDLib\'s to report')

  const ctx3 = context(doc(join(uploads, 'link-in.txt')), [uploads])
  const answer3 = await step(ctx3, async () => await next(ctx3))
  t.equal(JSON.stringify(reached).includes(join(uploads, 'ok.txt')), true, 'TDLib gets the resolved path')
  t.match(answer3, { content: { document: { document: { local: { path: join(sessions, '42', 'documents', 'x') } } } } }, 'a client with local_files sees paths')

  const ctx4 = context({ '@type': 'inputFileGenerated', original_path: 'https://example.org/x', conversion: '#url#' } as TdObject, [])
  t.match(await refusal(step(ctx4, async () => await next(ctx4))), /^LOCAL_FILE_NOT_ALLOWED LOCAL_FILE_NOT_ALLOWED: inputFileGenerated/)

  const ctx5 = context({ '@type': 'setOption', name: 'language_pack_database_path', value: { '@type': 'optionValueString', value: join(secret, 'x.db') } } as TdObject, [uploads])
  t.match(await refusal(step(ctx5, async () => await next(ctx5))), /^LOCAL_FILE_NOT_ALLOWED LOCAL_FILE_NOT_ALLOWED: option language_pack_database_path/)

  // A broker-issued reference: good for its client and session only.
  const token = await store.save({ id: '42', directory: join(root, 'up42') }, 'alice', 'c1', 'report.pdf', Buffer.from('pdf'))
  const ctx6 = context(doc(token), [])
  const answer6 = await step(ctx6, async () => await next(ctx6))
  t.match(reached, { input_message_content: { document: { document: { path: join(root, 'up42', 'broker_uploads', token.slice(-32), 'report.pdf') } } } }, 'the reference becomes the uploaded file')
  t.match(answer6, { content: { document: { document: { local: { path: '' } } } } }, 'the answer loses the broker\'s path')
  const ctx7 = context(doc(token), [], 'mallory')
  t.match(await refusal(step(ctx7, async () => await next(ctx7))), /^LOCAL_FILE_NOT_ALLOWED/, 'another client cannot use it')
  const other = { id: '43' } as unknown as Session
  const ctx8 = { ...context(doc(token), []), session: other }
  t.match(await refusal(step(ctx8, async () => await next(ctx8))), /^LOCAL_FILE_NOT_ALLOWED/, 'nor another session')
})

t.test('stripLocalPaths blanks paths without touching the original; mayHoldPaths spots them', async t => {
  const original = {
    '@type': 'updateFileGenerationStart', generation_id: '1', original_path: '/a', destination_path: '/b', conversion: 'c',
    nested: [fileAnswer('/srv/x')]
  }
  const frozen = JSON.stringify(original)
  const stripped = stripLocalPaths(original)
  t.equal(JSON.stringify(original), frozen, 'the input is unchanged')
  t.match(stripped, { original_path: '', destination_path: '', conversion: 'c', nested: [{ content: { document: { document: { id: 3, local: { path: '', is_downloading_completed: true } } } } }] })
  const plain = { '@type': 'updateNewMessage', message: { text: 'no paths' } }
  t.equal(stripLocalPaths(plain), plain, 'objects without paths are not copied')
  t.equal(mayHoldPaths(JSON.stringify(plain)), false)
  t.equal(mayHoldPaths(JSON.stringify({ text: '"path":"/etc"' })), false, 'a path inside a text is escaped, not a key')
  t.equal(mayHoldPaths(JSON.stringify(fileAnswer('/x'))), true)
  t.equal(mayHoldPaths(JSON.stringify(fileAnswer(''))), false, 'empty paths need no stripping')
  t.equal(mayHoldPaths(JSON.stringify(original)), true, 'a generation\'s paths are seen')
  t.equal(mayHoldPaths(JSON.stringify({ '@type': 'updateOption', name: 'language_pack_database_path', value: { '@type': 'optionValueString', value: '/db' } })), true,
    'so is the option that names a database path')
  t.equal(mayHoldPaths(JSON.stringify({ '@type': 'draftMessage', input_message_text: { '@type': 'draftMessageContentVoiceNote', file_path: '/v.ogg' } })), true)
  const option = stripLocalPaths({ '@type': 'updateOption', name: 'language_pack_database_path', value: { '@type': 'optionValueString', value: '/db' } })
  t.match(option, { value: { value: '' } })
})

t.test('scope.local_files only narrows the global folders', async t => {
  t.same(narrowFolders(['/srv/up'], ['/srv/up/alice', '/etc']), ['/srv/up/alice'])
  t.same(narrowFolders(['/srv/up/alice'], ['/srv']), ['/srv/up/alice'])
  t.same(narrowFolders([], ['/srv']), [])
  const global = globalPolicy({ allowed_requests: [], allowed_updates: [], local_files: ['/srv/up'] })
  t.same(scopedPolicy(global, 'a', { sessions: 'all', may_create_sessions: true }).localFiles, ['/srv/up'], 'absent: the global list')
  t.same(scopedPolicy(global, 'a', { sessions: 'all', may_create_sessions: true, local_files: ['/home'] }).localFiles, [], 'outside the global ones: none')
})
