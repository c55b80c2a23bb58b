/**
 * POSIX ustar archives of flat folders: what session backups are, so that an
 * operator can open one with standard tools (`tar tf`, `tar xf`).
 *
 * Only what a session backup needs: regular files with plain names (no
 * folders, no links, no path separators), each a 512-byte header and its
 * bytes padded to 512, then two zero blocks. Reading is strict: every
 * header's checksum is checked, anything but a regular file with a plain
 * name is refused (a "./" folder entry, as `tar cf x.tar -C folder .` writes,
 * is skipped), and a name that could reach outside the target folder never
 * gets through, so a crafted archive cannot write anywhere else.
 */

const BLOCK = 512
/** Longest name a plain ustar header holds (without the prefix field). */
export const MAX_TAR_NAME_BYTES = 99
/** Largest file size the 11 octal digits of a header hold (8 GiB - 1). */
const MAX_SIZE = 0o77777777777

export interface TarEntry {
  name: string
  /** Permission bits (0o777 at most). */
  mode: number
  /** Modification time, ms since the epoch. */
  mtime: number
  data: Buffer
}

export class TarError extends Error { override name = 'TarError' }

/** Whether `data` starts like a ustar (or GNU tar) archive. */
export function isTar (data: Buffer): boolean {
  return data.length >= BLOCK && data.toString('latin1', 257, 262) === 'ustar'
}

/** Bytes an archive of these files takes. */
export function tarSize (entries: ReadonlyArray<{ data: Buffer }>): number {
  return entries.reduce((n, e) => n + BLOCK + Math.ceil(e.data.length / BLOCK) * BLOCK, 2 * BLOCK)
}

function octal (header: Buffer, at: number, width: number, value: number): void {
  header.write(value.toString(8).padStart(width - 1, '0') + '\0', at, width, 'latin1')
}

function header (entry: TarEntry): Buffer {
  const name = Buffer.from(entry.name, 'utf8')
  if (name.length === 0 || name.length > MAX_TAR_NAME_BYTES) throw new TarError(`cannot archive ${JSON.stringify(entry.name)}: a name must be 1 to ${MAX_TAR_NAME_BYTES} bytes`)
  if (entry.data.length > MAX_SIZE) throw new TarError(`cannot archive ${JSON.stringify(entry.name)}: over 8 GiB`)
  const h = Buffer.alloc(BLOCK)
  name.copy(h, 0)
  octal(h, 100, 8, entry.mode & 0o777)
  octal(h, 108, 8, 0) // uid
  octal(h, 116, 8, 0) // gid
  octal(h, 124, 12, entry.data.length)
  octal(h, 136, 12, Math.max(0, Math.floor(entry.mtime / 1000)))
  h.write('0', 156, 'latin1') // a regular file
  h.write('ustar\0' + '00', 257, 'latin1')
  h.write('tdbroker', 265, 'latin1') // uname
  h.write('tdbroker', 297, 'latin1') // gname
  h.fill(0x20, 148, 156)
  let sum = 0
  for (const byte of h) sum += byte
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1')
  return h
}

/** An archive of `entries`, in the order given. */
export function writeTar (entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = []
  for (const entry of entries) {
    parts.push(header(entry), entry.data)
    const pad = (BLOCK - entry.data.length % BLOCK) % BLOCK
    if (pad > 0) parts.push(Buffer.alloc(pad))
  }
  parts.push(Buffer.alloc(2 * BLOCK))
  return Buffer.concat(parts)
}

function field (h: Buffer, at: number, width: number): string {
  const end = h.indexOf(0, at)
  return h.toString('utf8', at, end === -1 || end > at + width ? at + width : end)
}

function readOctal (h: Buffer, at: number, width: number, what: string): number {
  const text = h.toString('latin1', at, at + width).replace(/[\0 ]+$/, '').replace(/^ +/, '')
  if (!/^[0-7]{1,12}$/.test(text)) throw new TarError(`a header's ${what} is not an octal number`)
  return parseInt(text, 8)
}

/**
 * The files of an archive. `isPlainName` decides which names are safe to
 * write into one folder; any other name, and any entry that is not a regular
 * file, is refused with a TarError naming it.
 */
export function readTar (data: Buffer, isPlainName: (name: string) => boolean): TarEntry[] {
  const entries: TarEntry[] = []
  let at = 0
  for (;;) {
    if (at + BLOCK > data.length) throw new TarError('the archive is truncated')
    const h = data.subarray(at, at + BLOCK)
    if (h.every(b => b === 0)) break
    let sum = 0
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!
    if (readOctal(h, 148, 8, 'checksum') !== sum) throw new TarError(`the header at byte ${at} is damaged (checksum)`)
    if (h.toString('latin1', 257, 262) !== 'ustar') throw new TarError(`the header at byte ${at} is not a ustar header`)
    const prefix = field(h, 345, 155)
    const raw = (prefix === '' ? '' : prefix + '/') + field(h, 0, 100)
    const name = raw.startsWith('./') ? raw.slice(2) : raw
    const type = h.toString('latin1', 156, 157)
    const size = readOctal(h, 124, 12, 'size')
    at += BLOCK
    if ((type === '5' && (name === '' || name === '.' || name === './')) && size === 0) continue
    if (type !== '0' && type !== '\0') {
      throw new TarError(`the archive holds ${JSON.stringify(raw)}, which is not a regular file (type ${JSON.stringify(type)}); a session backup holds only files`)
    }
    if (!isPlainName(name)) throw new TarError(`the archive names an unsafe path ${JSON.stringify(raw)}`)
    if (at + size > data.length) throw new TarError('the archive is truncated')
    entries.push({ name, mode: readOctal(h, 100, 8, 'mode') & 0o777, mtime: readOctal(h, 136, 12, 'mtime') * 1000, data: data.subarray(at, at + size) })
    at += Math.ceil(size / BLOCK) * BLOCK
  }
  // The end: two zero blocks, then (tar pads to its record size) only zeros, in whole blocks.
  const rest = data.subarray(at)
  if (!rest.every(b => b === 0)) throw new TarError('the archive has trailing bytes')
  if (rest.length < 2 * BLOCK || rest.length % BLOCK !== 0) throw new TarError('the archive is truncated')
  return entries
}
