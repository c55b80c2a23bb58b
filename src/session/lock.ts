/**
 * A pid lock file in tdlib.path. TDLib stalls and then fails when a second
 * process opens the same session folder; this makes the second broker fail
 * at once, with a message that says which process holds the folder.
 */
import { open, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'

export interface Lock { release(): Promise<void> }

const LOCK_NAME = '.tdbroker.lock'

export async function acquireLock (root: string): Promise<Lock> {
  const file = join(root, LOCK_NAME)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600)
      await handle.writeFile(`${process.pid}\n`)
      await handle.close()
      let released = false
      return {
        async release () {
          if (released) return
          released = true
          await rm(file, { force: true })
        }
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      const pid = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10)
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new Error(`${root} is in use by another tdbroker (pid ${pid}); two brokers must never open the same sessions (delete ${file} only if that process is gone)`)
      }
      // A stale lock from a broker that died: take it over.
      await rm(file, { force: true })
    }
  }
  throw new Error(`could not lock ${root}`)
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}
