/**
 * File bytes over the protocol (docs/protocol.md, "Files"): uploads in parts
 * with broker.uploadFile, downloads with TDLib's downloadFile and
 * broker.readFile, with progress callbacks for large files.
 */
import type { BrokerClient } from './client.js'

/** What a request may use as a file: the reference broker.uploadFile answered. */
export interface UploadedFile { '@type': 'inputFileLocal', path: string }

/** A file's bytes: a path on this machine (Node only), bytes, or a stream of chunks. */
export type FileSource = string | Uint8Array | AsyncIterable<Uint8Array>

export interface UploadOptions {
  /** The file's name as the recipient sees it (default: the path's last part, or "file"). */
  name?: string
  /** Bytes per broker.uploadFile (default 512 KiB; the broker's max_upload_size is 768 KiB by default). */
  partSize?: number
  /** Called after each part with the bytes sent so far and the total when known. */
  onProgress?: (sent: number, total: number | undefined) => void
}

export interface ReadOptions {
  /** Bytes per broker.readFile (default 512 KiB). */
  partSize?: number
  onProgress?: (read: number, total: number) => void
}

const DEFAULT_PART = 512 * 1024

/** Uploads a file into a session in parts and resolves with the reference a request can name. */
export async function uploadFile (client: BrokerClient, session: string, source: FileSource, options: UploadOptions = {}): Promise<UploadedFile> {
  const partSize = options.partSize ?? DEFAULT_PART
  let name = options.name
  let total: number | undefined
  let chunks: AsyncIterable<Uint8Array>
  if (typeof source === 'string') {
    const open = client.openFile
    if (open === undefined) throw new Error('a file path needs Node: in a browser give the bytes (a Uint8Array) or a stream of chunks')
    const file = await open(source, partSize)
    name ??= file.name
    total = file.size
    chunks = file.chunks
  } else if (source instanceof Uint8Array) {
    total = source.byteLength
    chunks = (async function * () { for (let i = 0; i < source.byteLength; i += partSize) yield source.subarray(i, i + partSize) })()
  } else {
    chunks = source
  }
  let reference: UploadedFile | undefined
  let sent = 0
  for await (const part of rechunk(chunks, partSize)) {
    const answer = await client.request({
      '@type': 'broker.uploadFile', session, name: name ?? 'file', data: base64(part),
      ...(reference === undefined ? {} : { append_to: reference.path })
    })
    reference ??= answer.file as UploadedFile
    sent += part.byteLength
    options.onProgress?.(sent, total)
  }
  if (reference === undefined) {
    // An empty file is still a file.
    const answer = await client.request({ '@type': 'broker.uploadFile', session, name: name ?? 'file', data: '' })
    reference = answer.file as UploadedFile
    options.onProgress?.(0, 0)
  }
  return reference
}

/** Downloads a file of the session (TDLib's downloadFile) and reads all of its bytes. */
export async function readFile (client: BrokerClient, session: string, fileId: number, options: ReadOptions = {}): Promise<Uint8Array> {
  const partSize = options.partSize ?? DEFAULT_PART
  const file = await client.request({ '@type': 'downloadFile', '@session': session, file_id: fileId, priority: 1, offset: 0, limit: 0, synchronous: true })
  const size = Number(file.size ?? (file.local as { downloaded_size?: number } | undefined)?.downloaded_size ?? 0)
  const out = new Uint8Array(size)
  let offset = 0
  while (offset < size) {
    const count = Math.min(partSize, size - offset)
    const answer = await client.request({ '@type': 'broker.readFile', session, file_id: fileId, offset, count })
    const bytes = fromBase64(String(answer.data))
    if (bytes.byteLength === 0) throw new Error(`file ${fileId} of session ${session} ended at ${offset} of ${size} bytes`)
    out.set(bytes, offset)
    offset += bytes.byteLength
    options.onProgress?.(offset, size)
  }
  return out
}

async function * rechunk (source: AsyncIterable<Uint8Array>, size: number): AsyncIterable<Uint8Array> {
  let held: Uint8Array[] = []
  let heldBytes = 0
  for await (const chunk of source) {
    held.push(chunk)
    heldBytes += chunk.byteLength
    while (heldBytes >= size) {
      const all = concat(held, heldBytes)
      yield all.subarray(0, size)
      held = [all.subarray(size)]
      heldBytes -= size
    }
  }
  if (heldBytes > 0) yield concat(held, heldBytes)
}

function concat (parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array
  const out = new Uint8Array(total)
  let at = 0
  for (const p of parts) { out.set(p, at); at += p.byteLength }
  return out
}

function base64 (bytes: Uint8Array): string {
  const B = (globalThis as { Buffer?: { from: (b: Uint8Array) => { toString: (enc: string) => string } } }).Buffer
  if (B !== undefined) return B.from(bytes).toString('base64')
  let s = ''
  for (const b of bytes) s += String.fromCharCode(b)
  return btoa(s)
}

function fromBase64 (text: string): Uint8Array {
  const B = (globalThis as { Buffer?: { from: (s: string, enc: string) => Uint8Array } }).Buffer
  if (B !== undefined) return new Uint8Array(B.from(text, 'base64'))
  return Uint8Array.from(atob(text), c => c.charCodeAt(0))
}
