// Files the broker rewrites whole (the store, a session's meta, the resume
// index, a spooled backup): written so that a crash or a full disk leaves either
// the old file or the new one, never half of either.
import { open, rename, rm } from 'node:fs/promises'

let tempCounter = 0

/**
 * Writes `data` to a temporary file beside `file` (unique per process and call,
 * so two writes in flight do not share it), syncs it to disk, and renames it over
 * `file`. On failure the temporary file is removed and the error thrown; `file`
 * is left as it was.
 */
export async function writeFileAtomic (file: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const temp = `${file}.${process.pid}.${tempCounter++}.tmp`
  try {
    const handle = await open(temp, 'w', mode)
    try {
      await handle.writeFile(data)
      await handle.datasync()
    } finally {
      await handle.close()
    }
    await rename(temp, file)
  } catch (e) {
    await rm(temp, { force: true })
    throw e
  }
}
