/**
 * Receiving an import body: it is spooled to a temporary file while `checkImport` reads it, so a
 * file refused whole (invalid UTF-8, a bad CSV header, no rows, over the size limit) is refused
 * before any row is written, and the rows are then read back from disk: a 64 MiB body is never
 * held in memory. A refused body is read to its end and discarded before the answer, so the
 * client, still sending, sees the answer (api.md).
 */
import { createReadStream } from 'node:fs'
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { checkImport, type ImportFormat } from '../app/import'
import { LedgerError } from '../errors'

/** api.md: imports up to 64 MiB. */
export const IMPORT_BODY_LIMIT = 64 * 1024 * 1024

export const tooLarge = (limit: number) =>
  new LedgerError(413, 'payload-too-large', `the body is larger than the ${limit} bytes accepted here; nothing was written`)

/** A checked import body on disk. */
export interface SpooledBody {
  rows: number
  /** The body again, from disk. */
  read(): AsyncIterable<Uint8Array>
  remove(): Promise<void>
}

/** Reads the rest of a body and throws it away; resolves once it has ended (or failed). */
export function drain(body: Readable): Promise<void> {
  if (body.readableEnded || body.destroyed) return Promise.resolve()
  return new Promise((resolve) => {
    body.once('end', resolve).once('close', resolve).once('error', () => resolve())
    body.resume()
  })
}

/**
 * Spools and checks `body`. Throws the 400/413 that refuses it, after draining it; the caller
 * must `remove()` what it returns.
 */
export async function receiveImport(body: Readable, format: ImportFormat, declaredLength: number | undefined, limit: number): Promise<SpooledBody> {
  if (declaredLength !== undefined && declaredLength > limit) {
    await drain(body)
    throw tooLarge(limit)
  }
  const dir = await mkdtemp(join(tmpdir(), 'ledger-import-'))
  const file = join(dir, 'body')
  const remove = () => rm(dir, { recursive: true, force: true })
  let handle: FileHandle | undefined
  try {
    handle = await open(file, 'w')
    const { rows } = await checkImport(format, spool(body, handle, limit))
    await handle.close()
    handle = undefined
    return { rows, read: () => createReadStream(file, { highWaterMark: 256 * 1024 }), remove }
  } catch (error) {
    await handle?.close()
    await drain(body)
    await remove()
    throw error
  }
}

/** Yields the body's chunks once each is on disk; throws 413 past `limit` bytes. */
async function* spool(body: Readable, handle: FileHandle, limit: number): AsyncGenerator<Uint8Array> {
  let size = 0
  // destroyOnReturn false: a refused body is still drained, so that the client sees the answer.
  for await (const chunk of body.iterator({ destroyOnReturn: false })) {
    const bytes: Uint8Array = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    size += bytes.length
    if (size > limit) throw tooLarge(limit)
    await handle.write(bytes)
    yield bytes
  }
}
