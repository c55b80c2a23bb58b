/** Temporary folders of a benchmark run, removed on stop and again on exit (even after a failure). */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const folders = new Set<string>()

export function tempFolder (): string {
  const dir = mkdtempSync(join(tmpdir(), 'tdbroker-bench-'))
  folders.add(dir)
  return dir
}

export function removeFolder (dir: string): void {
  rmSync(dir, { recursive: true, force: true })
  folders.delete(dir)
}

export function removeAllFolders (): void {
  for (const dir of [...folders]) removeFolder(dir)
}
