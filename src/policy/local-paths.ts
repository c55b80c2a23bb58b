/**
 * Where TDLib's API carries a path of the broker's file system, as TDLib
 * 1.8.65's schema documents it (@prebuilt-tdlib/types), and how those paths
 * are kept out of what a client sees. local-files.ts checks the request side.
 *
 * Request fields TDLib reads (or probes, or creates) as local paths:
 * - inputFileLocal.path: the file TDLib uploads (sendMessage, preliminaryUploadFile, setProfilePhoto, ...)
 * - inputFileGenerated.original_path: not read by TDLib, but the object starts a generation the
 *   application answers with files of its own (and "#url#" makes TDLib fetch a URL)
 * - draftMessageContentVideoNote.file_path, draftMessageContentVoiceNote.file_path (setChatDraftMessage)
 * - getLanguagePackString.language_pack_database_path: a database TDLib opens (or creates)
 * - setOption "language_pack_database_path": the same database for the whole session
 * - getSuggestedFileName.directory: a folder whose file names TDLib looks at
 * - logStreamFile.path and setTdlibParameters' database_directory, files_directory: reserved
 *   requests (policy.ts), listed so that they are refused here as well
 * getFileMimeType.file_name and cleanFileName.file_name only look at the string, and stay allowed.
 *
 * Answer and update fields that show the broker's paths: localFile.path (in every `file`),
 * updateFileGenerationStart.original_path and destination_path, the two draft contents'
 * file_path, logStreamFile.path, and updateOption "language_pack_database_path".
 */
import { sep } from 'node:path'

/** Request fields that name a local path, by the @type of the object that holds them. */
export const REQUEST_PATH_FIELDS: Readonly<Record<string, readonly string[]>> = {
  inputFileLocal: ['path'],
  inputFileGenerated: ['original_path'],
  draftMessageContentVideoNote: ['file_path'],
  draftMessageContentVoiceNote: ['file_path'],
  getLanguagePackString: ['language_pack_database_path'],
  getSuggestedFileName: ['directory'],
  logStreamFile: ['path'],
  setTdlibParameters: ['database_directory', 'files_directory']
}

/** The TDLib option whose value is a local path. */
export const PATH_OPTION = 'language_pack_database_path'

/** Answer and update fields that show a local path, by the @type of the object that holds them. */
const OUTPUT_PATH_FIELDS: Readonly<Record<string, readonly string[]>> = {
  localFile: ['path'],
  updateFileGenerationStart: ['original_path', 'destination_path'],
  draftMessageContentVideoNote: ['file_path'],
  draftMessageContentVoiceNote: ['file_path'],
  logStreamFile: ['path']
}

/**
 * Could this wire line hold a non-empty local path? A cheap test on the
 * encoded line: inside a JSON string every `"` is escaped, so these
 * patterns only match real keys. False positives only cost a walk.
 * Every pattern holds `path"`, which a plain string search rules out in a
 * tenth of the regular expression's time (0.27 against 2.5 µs for an
 * 800-character updateNewMessage line): every update a client gets passes
 * here once.
 */
export function mayHoldPaths (line: string): boolean {
  if (!line.includes('path"')) return false
  return /"(?:path|original_path|destination_path|file_path)":"[^"]/.test(line) || line.includes(`"${PATH_OPTION}"`)
}

type Json = unknown

/**
 * `value` with every local path of OUTPUT_PATH_FIELDS blanked (""). The
 * input is never modified (a backend may share its objects between
 * sessions); objects without paths are returned as they are, not copied.
 */
export function stripLocalPaths<T> (value: T): T {
  return strip(value, 0) as T
}

function strip (value: Json, depth: number): Json {
  // The wire refuses deeper requests; TDLib's answers are far shallower than this.
  if (value === null || typeof value !== 'object' || depth > 100) return value
  if (Array.isArray(value)) {
    let out: Json[] | undefined
    for (let i = 0; i < value.length; i++) {
      const next = strip(value[i], depth + 1)
      if (next !== value[i]) (out ??= [...value])[i] = next
    }
    return out ?? value
  }
  const object = value as Record<string, Json>
  let out: Record<string, Json> | undefined
  const type = object['@type']
  const fields = typeof type === 'string' && Object.hasOwn(OUTPUT_PATH_FIELDS, type) ? OUTPUT_PATH_FIELDS[type] : undefined
  for (const field of fields ?? []) {
    if (typeof object[field] === 'string' && object[field] !== '') (out ??= { ...object })[field] = ''
  }
  if (type === 'updateOption' && object.name === PATH_OPTION) {
    (out ??= { ...object }).value = { '@type': 'optionValueString', value: '' }
  }
  for (const key of Object.keys(object)) {
    if (fields?.includes(key) === true) continue
    const child = object[key]
    if (child === null || typeof child !== 'object') continue
    const next = strip(child, depth + 1)
    if (next !== child) (out ??= { ...object })[key] = next
  }
  return out ?? object
}

/** Is `path` the folder `folder` or inside it? Both absolute and normalised. */
export function isWithin (path: string, folder: string): boolean {
  if (folder === sep) return path.startsWith(sep)
  return path === folder || path.startsWith(folder + sep)
}

/**
 * The folders that lie in both lists (each absolute): a folder of `scope`
 * inside one of `global`, or one of `global` inside one of `scope`. A
 * scope can only narrow the global folders, never add to them.
 */
export function narrowFolders (global: readonly string[], scope: readonly string[]): readonly string[] {
  const out = new Set<string>()
  for (const s of scope) {
    for (const g of global) {
      if (isWithin(s, g)) out.add(s)
      else if (isWithin(g, s)) out.add(g)
    }
  }
  return Object.freeze([...out])
}
