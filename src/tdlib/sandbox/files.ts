/**
 * Files in the emulated Telegram, just enough to test what the broker does
 * with local paths: documents and photos sent from a local file (or by file
 * id), TDLib's `file` objects, getFile, downloadFile, readFilePart and
 * preliminaryUploadFile.
 *
 * Like TDLib, sending from a local path reads that file: the bytes then
 * live "on the server" (the world). A session folder holds its own local
 * copies: the file it was sent from, or what downloadFile wrote under
 * `documents/` or `photos/` in the folder, as TDLib does. File ids are
 * world-wide here (TDLib numbers them per client; tests do not tell).
 * Message contents are stored once for all viewers, so their file objects
 * show no local copy; getFile shows the viewer's own.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fail, int, str, typeOf, type Td, type TdIn, type Tl } from './td.js'
import { formattedInput } from './content.js'
import type { ReadyCtx, ReadyHandlers } from './dispatch.js'
import type { World } from './world.js'

/** Largest local file the sandbox reads (the real limit is 2000 MiB; tests need far less). */
export const MAX_SANDBOX_FILE = 64 * 1024 * 1024

interface SandboxFile {
  readonly id: number
  readonly name: string
  readonly mime: string
  readonly kind: 'document' | 'photo'
  readonly bytes: Buffer
}

interface FileStore {
  readonly files: Map<number, SandboxFile>
  /** Session folder -> file id -> local path. */
  readonly local: Map<string, Map<number, string>>
  next: number
}

const stores = new WeakMap<World, FileStore>()

function storeOf (world: World): FileStore {
  let store = stores.get(world)
  if (store === undefined) {
    store = { files: new Map(), local: new Map(), next: 1 }
    stores.set(world, store)
  }
  return store
}

function localPath (store: FileStore, directory: string, id: number): string {
  return store.local.get(directory)?.get(id) ?? ''
}

function setLocal (store: FileStore, directory: string, id: number, path: string): void {
  let map = store.local.get(directory)
  if (map === undefined) store.local.set(directory, map = new Map())
  map.set(id, path)
}

/** TDLib's `file` object of `f` as the session in `directory` sees it ("" directory: no local copy). */
function fileObject (store: FileStore, directory: string, f: SandboxFile): Td<Tl.file> {
  const path = directory === '' ? '' : localPath(store, directory, f.id)
  const size = f.bytes.length
  const here = path !== ''
  return {
    '@type': 'file',
    id: f.id,
    size,
    expected_size: size,
    local: {
      '@type': 'localFile',
      path,
      can_be_downloaded: true,
      can_be_deleted: here,
      is_downloading_active: false,
      is_downloading_completed: here,
      download_offset: 0,
      downloaded_prefix_size: here ? size : 0,
      downloaded_size: here ? size : 0,
    },
    remote: {
      '@type': 'remoteFile',
      id: `sandbox-file-${f.id}`,
      unique_id: `sandbox${f.id}`,
      is_uploading_active: false,
      is_uploading_completed: true,
      uploaded_size: size,
    },
  }
}

function mimeOf (name: string, kind: 'document' | 'photo'): string {
  if (kind === 'photo') return 'image/jpeg'
  if (name.endsWith('.txt')) return 'text/plain'
  if (name.endsWith('.pdf')) return 'application/pdf'
  return 'application/octet-stream'
}

/** The file an InputFile names, read from disk for inputFileLocal (as TDLib does). */
function inputFile (ctx: ReadyCtx, input: TdIn<Tl.InputFile$Input> | undefined, kind: 'document' | 'photo'): SandboxFile {
  const store = storeOf(ctx.world)
  switch (input?.['@type']) {
    case 'inputFileLocal': {
      const path = str(input.path)
      let bytes: Buffer
      try {
        if (statSync(path).size > MAX_SANDBOX_FILE) fail(400, 'File is too big')
        bytes = readFileSync(path)
      } catch (e) {
        if (e instanceof Error && 'code' in e) fail(400, `Can't open file "${path}"`)
        throw e
      }
      const f: SandboxFile = { id: store.next++, name: basename(path), mime: mimeOf(basename(path), kind), kind, bytes }
      store.files.set(f.id, f)
      setLocal(store, ctx.device.directory, f.id, path)
      return f
    }
    case 'inputFileId':
      return known(ctx, input.id)
    case 'inputFileRemote': {
      const id = /^sandbox-file-(\d+)$/.exec(str(input.id))?.[1]
      return known(ctx, id === undefined ? 0 : Number(id))
    }
    default:
      return fail(400, `Input file of type ${typeOf(input) === '' ? 'null' : typeOf(input)} is not supported by the sandbox`)
  }
}

function known (ctx: ReadyCtx, id: unknown): SandboxFile {
  const f = storeOf(ctx.world).files.get(int(id))
  return f ?? fail(400, 'Invalid file identifier')
}

/**
 * messageDocument or messagePhoto for inputMessageDocument and
 * inputMessagePhoto; undefined for every other content (content.ts).
 */
export function fileMessageContent (ctx: ReadyCtx, input: TdIn<Tl.InputMessageContent$Input> | undefined): Td<Tl.MessageContent> | undefined {
  const store = storeOf(ctx.world)
  switch (input?.['@type']) {
    case 'inputMessageDocument': {
      const f = inputFile(ctx, input.document?.document, 'document')
      const document: Td<Tl.document> = { '@type': 'document', file_name: f.name, mime_type: f.mime, document: fileObject(store, '', f) }
      return { '@type': 'messageDocument', document, caption: formattedInput(input.caption) }
    }
    case 'inputMessagePhoto': {
      const f = inputFile(ctx, input.photo?.photo, 'photo')
      const size: Td<Tl.photoSize> = {
        '@type': 'photoSize', type: 'x', photo: fileObject(store, '', f), width: int(input.photo?.width), height: int(input.photo?.height), progressive_sizes: [],
      }
      return {
        '@type': 'messagePhoto',
        photo: { '@type': 'photo', has_stickers: false, sizes: [size] },
        caption: formattedInput(input.caption),
        show_caption_above_media: input.show_caption_above_media === true,
        has_spoiler: input.has_spoiler === true,
        is_secret: false,
      }
    }
    default:
      return undefined
  }
}

export const fileHandlers: ReadyHandlers = {
  getFile: (ctx, req) => fileObject(storeOf(ctx.world), ctx.device.directory, known(ctx, req.file_id)),

  preliminaryUploadFile: (ctx, req) => {
    const priority = int(req.priority)
    if (priority < 1 || priority > 32) fail(400, 'Upload priority must be between 1 and 32')
    const f = inputFile(ctx, req.file, 'document')
    const file = fileObject(storeOf(ctx.world), ctx.device.directory, f)
    ctx.device.emit({ '@type': 'updateFile', file })
    return file
  },

  downloadFile: (ctx, req) => {
    const priority = int(req.priority)
    if (priority < 1 || priority > 32) fail(400, 'Download priority must be between 1 and 32')
    const store = storeOf(ctx.world)
    const f = known(ctx, req.file_id)
    const directory = ctx.device.directory
    if (localPath(store, directory, f.id) === '') {
      const folder = join(directory, f.kind === 'photo' ? 'photos' : 'documents')
      mkdirSync(folder, { recursive: true })
      const path = join(folder, `${f.id}_${f.name}`)
      writeFileSync(path, f.bytes)
      setLocal(store, directory, f.id, path)
      ctx.device.emit({ '@type': 'updateFile', file: fileObject(store, directory, f) })
    }
    return fileObject(store, directory, f)
  },

  readFilePart: (ctx, req) => {
    const store = storeOf(ctx.world)
    const f = known(ctx, req.file_id)
    const path = localPath(store, ctx.device.directory, f.id)
    if (path === '') fail(400, 'File is not downloaded')
    const offset = int(req.offset)
    const count = int(req.count)
    if (offset < 0 || count < 0) fail(400, 'Parameters offset and count must be non-negative')
    let bytes: Buffer
    try {
      bytes = readFileSync(path)
    } catch {
      return fail(400, 'File is not downloaded')
    }
    if (count > 0 && offset + count > bytes.length) fail(400, 'There is not enough data available')
    const part = bytes.subarray(Math.min(offset, bytes.length), count === 0 ? bytes.length : offset + count)
    return { '@type': 'data', data: part.toString('base64') }
  },
}
