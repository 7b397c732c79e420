/**
 * Receiving an import body: it is spooled to a file while `checkImport` reads it, so a file
 * refused whole (invalid UTF-8, a bad CSV header, no rows, over the size limit) is refused before
 * any row is written, and the rows are then read back from disk a chunk at a time: a 64 MiB body
 * is never held in memory. A refused body is read to its end and discarded before the answer, so
 * the client, still sending, sees the answer (api.md).
 *
 * The spool holds the rows as sent, national ids in clear. It lives in the data directory, which
 * already holds the ledger and the keys and is protected as they are, in its own folder
 * (`$LEDGER_DATA_DIR/imports`, 0700), as a file of mode 0600 whatever the umask; once the import
 * is over it is overwritten with zeros, fsynced, then unlinked, so its blocks do not linger on
 * the disk (on a copy-on-write file system or an SSD they may: encrypt the volume). A spool a
 * killed process left behind is shredded by the next import once it is a day old.
 */
import { createReadStream } from 'node:fs'
import { chmod, mkdir, open, readdir, stat, type FileHandle } from 'node:fs/promises'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { shred } from '../shred'
import type { Readable } from 'node:stream'
import { checkImport, type ImportFormat } from '../write/import'
import { LedgerError } from '../errors'

/** api.md: imports up to 64 MiB. */
export const IMPORT_BODY_LIMIT = 64 * 1024 * 1024

/** The folder of the spools, in the data directory. */
export const spoolDirOf = (dataDir: string) => join(dataDir, 'imports')

const SPOOL_SUFFIX = '.spool'
/** A spool this much older than a new one was left by a killed process: no import runs a day. */
const ABANDONED_MS = 24 * 3_600_000

export const tooLarge = (limit: number) =>
  new LedgerError(413, 'payload-too-large', `the body is larger than the ${limit} bytes accepted here; nothing was written`)

/** A checked import body on disk. */
export interface SpooledBody {
  rows: number
  /** The body again, from disk. */
  read(): AsyncIterable<Uint8Array>
  /** Shreds the spool (zeros, fsync, unlink). */
  remove(): Promise<void>
}

export interface SpoolOptions {
  /** `spoolDirOf(dataDir)`. */
  dir: string
  /** Bytes accepted; more is a 413. */
  limit: number
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
export async function receiveImport(body: Readable, format: ImportFormat, declaredLength: number | undefined, options: SpoolOptions): Promise<SpooledBody> {
  const { dir, limit } = options
  if (declaredLength !== undefined && declaredLength > limit) {
    await drain(body)
    throw tooLarge(limit)
  }
  let file: string | undefined
  let handle: FileHandle | undefined
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    // Exactly 0700 even if the folder was made wider by hand or by another umask.
    await chmod(dir, 0o700)
    file = join(dir, `${randomUUID()}${SPOOL_SUFFIX}`)
    handle = await open(file, 'wx', 0o600)
    // open applied the umask, which can only narrow it; exactly 0600 all the same.
    await handle.chmod(0o600)
    await removeAbandoned(dir, file)
    const { rows } = await checkImport(format, spool(body, handle, limit))
    await handle.close()
    handle = undefined
    const spooled = file
    return { rows, read: () => createReadStream(spooled, { highWaterMark: 256 * 1024 }), remove: () => shred(spooled) }
  } catch (error) {
    await handle?.close()
    await drain(body)
    // A spool that cannot be shredded now is left to the next import's sweep; the refusal stands.
    if (file !== undefined) await shred(file).catch(() => undefined)
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

/**
 * Shreds the spools a killed process left behind. Ages are read on the file system's clock (the
 * new spool's mtime against theirs), so a process clock set apart from it never takes a spool
 * another process is still reading.
 */
async function removeAbandoned(dir: string, own: string): Promise<void> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(SPOOL_SUFFIX))
  if (names.length < 2) return
  const now = (await stat(own)).mtimeMs
  for (const name of names) {
    const file = join(dir, name)
    if (file === own) continue
    const at = await stat(file).then((s) => s.mtimeMs, () => now)
    if (at < now - ABANDONED_MS) await shred(file)
  }
}

