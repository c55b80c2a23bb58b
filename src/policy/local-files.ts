/**
 * A pipeline step that keeps clients away from the broker's file system.
 *
 * TDLib uploads whatever local file a request names, so a local path
 * (local-paths.ts lists the fields) anywhere in a request is refused with
 * LOCAL_FILE_NOT_ALLOWED, unless:
 * - it is a reference broker.uploadFile issued to this client for this
 *   session (swapped here for the real path), or
 * - the client's policy names folders (`local_files`), and the path,
 *   resolved with realpath (so no symlink or `..` leads out), lies inside
 *   one of them and outside the broker's own folders (tdlib.path, the
 *   settings folder, /proc, /sys). TDLib then gets the resolved path.
 *
 * Answers lose their local paths (blanked) for clients without
 * `local_files`; updates get the same treatment in OutgoingUpdate.
 */
import { lstat, realpath, stat } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, resolve } from 'node:path'
import { BrokerError } from '../errors.js'
import type { UploadStore } from '../files/uploads.js'
import type { RequestContext, Step } from '../server/pipeline.js'
import type { Settings } from '../settings/types.js'
import type { TdObject } from '../tdlib/backend.js'
import { isWithin, PATH_OPTION, REQUEST_PATH_FIELDS, stripLocalPaths } from './local-paths.js'

/** One local path found in a request: the object that holds it and the field. */
interface Found { holder: Record<string, unknown>, field: string, type: string }

/** Every local path in a request, at any depth (the wire already bounds depth). */
export function findLocalPaths (request: unknown): Found[] {
  const found: Found[] = []
  const walk = (value: unknown): void => {
    if (value === null || typeof value !== 'object') return
    if (Array.isArray(value)) {
      for (const v of value) walk(v)
      return
    }
    const object = value as Record<string, unknown>
    const type = object['@type']
    if (typeof type === 'string' && Object.hasOwn(REQUEST_PATH_FIELDS, type)) {
      for (const field of REQUEST_PATH_FIELDS[type]!) if (field in object) found.push({ holder: object, field, type })
      // An inputFileGenerated counts even without its original_path.
      if (type === 'inputFileGenerated' && !('original_path' in object)) found.push({ holder: object, field: 'original_path', type })
    }
    if (type === 'setOption' && object.name === PATH_OPTION) {
      const option = object.value
      if (option !== null && typeof option === 'object') found.push({ holder: option as Record<string, unknown>, field: 'value', type: 'setOption' })
    }
    for (const key of Object.keys(object)) walk(object[key])
  }
  walk(request)
  return found
}

/** The broker's own folders and files, never allowed whatever local_files says. */
export function forbiddenFolders (settings: Pick<Settings, 'tdlib' | 'base_dir' | 'file' | 'logfile' | 'audit_file'>): string[] {
  const out = [settings.tdlib.path, settings.base_dir, '/proc', '/sys']
  if (settings.file !== undefined) out.push(dirname(settings.file))
  for (const file of [settings.logfile, settings.audit_file]) if (file !== undefined) out.push(file)
  return out.map(p => resolve(p))
}

async function realOrSelf (path: string): Promise<string> {
  try {
    return await realpath(path)
  } catch {
    return path
  }
}

/**
 * The real path of `path` if a client with these folders may name it, else
 * undefined. A path that does not exist yet (a database TDLib would create)
 * is resolved through its parent folder.
 */
export async function allowedLocalPath (path: string, folders: readonly string[], forbidden: readonly string[]): Promise<string | undefined> {
  if (folders.length === 0 || !isAbsolute(path) || path.includes('\0')) return undefined
  let real: string
  try {
    real = await realpath(path)
    const info = await stat(real)
    // Devices, pipes and sockets are not files to upload (a FIFO would block TDLib).
    if (!info.isFile() && !info.isDirectory()) return undefined
  } catch {
    const name = basename(path)
    if (name === '' || name === '.' || name === '..') return undefined
    // Something is there but does not resolve (a dangling symlink): TDLib would follow it.
    if (await lstat(path).then(() => true, () => false)) return undefined
    try {
      real = join(await realpath(dirname(path)), name)
    } catch {
      return undefined
    }
  }
  const allowed = await Promise.all(folders.map(realOrSelf))
  if (!allowed.some(folder => isWithin(real, folder))) return undefined
  // Both as written and as resolved: a forbidden folder may itself be reached through a symlink.
  const barred = [...forbidden, ...await Promise.all(forbidden.map(realOrSelf))]
  if (barred.some(folder => isWithin(real, folder))) return undefined
  return real
}

/**
 * The step. `uploads` knows the references broker.uploadFile issued;
 * `forbidden` are the broker's folders (forbiddenFolders).
 */
export function localFilesStep (uploads: UploadStore, forbidden: readonly string[]): Step {
  // Most requests name no local file: those pass without the async frame of the checks (a promise and
  // microtask turns per request), their answers blanked as the checked path blanks them.
  return (ctx, next) => {
    let found: Found[]
    try {
      found = findLocalPaths(ctx.request)
    } catch (e) {
      return Promise.reject(e)
    }
    if (found.length > 0) return checkPaths(found, uploads, forbidden, ctx, next)
    return ctx.client.policy.localFiles.length === 0 ? next().then(stripLocalPaths) : next()
  }
}

/** The step for a request that names local files (`found`, from findLocalPaths). */
async function checkPaths (found: Found[], uploads: UploadStore, forbidden: readonly string[], ctx: RequestContext, next: () => Promise<TdObject>): Promise<TdObject> {
  const { policy, name } = ctx.client
  for (const { holder, field, type } of found) {
    const value = holder[field]
    const where = type === 'setOption' ? `option ${PATH_OPTION}` : `${type}.${field}`
    if (type === 'inputFileLocal' && typeof value === 'string') {
      const uploaded = uploads.pathOf(value, ctx.session.id, name)
      if (uploaded !== undefined) {
        holder[field] = uploaded
        continue
      }
    }
    if (policy.localFiles.length === 0) {
      throw new BrokerError('LOCAL_FILE_NOT_ALLOWED', `${where}: client ${name} may not name local files; send the bytes with broker.uploadFile and use the reference it answers`)
    }
    // TDLib does not read original_path; the generation itself is what needs local_files.
    if (type === 'inputFileGenerated' || value === '') continue
    if (typeof value !== 'string') throw new BrokerError('INVALID_REQUEST', `${where} must be a string`)
    const real = await allowedLocalPath(value, policy.localFiles, forbidden)
    if (real === undefined) {
      // The same answer whether the file exists or not, so paths cannot be probed.
      throw new BrokerError('LOCAL_FILE_NOT_ALLOWED', `${where}: ${JSON.stringify(value)} is not inside a folder of local_files for client ${name} (or does not exist)`)
    }
    holder[field] = real
  }
  const answer: TdObject = await next()
  return policy.localFiles.length === 0 ? stripLocalPaths(answer) : answer
}
