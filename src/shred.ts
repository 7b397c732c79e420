/**
 * Files that held personal data are overwritten with zeros, fsynced, then unlinked: an unlinked
 * file's blocks stay readable on the disk until reused (replaced snapshots, import spools). On a
 * copy-on-write file system or an SSD the old blocks may still survive the overwrite; the README
 * says to encrypt the volume for that. A file already gone (removed by another process) is done;
 * a file is unlinked even when the overwrite failed (say, a full copy-on-write disk), which still throws.
 */
import { closeSync, fstatSync, fsyncSync, openSync, unlinkSync, writeSync } from 'node:fs'
import { open, unlink } from 'node:fs/promises'

const ZEROS = Buffer.alloc(1024 * 1024)

const gone = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT'

/** Shreds `file` without blocking the event loop (pruning, spools: the service serves meanwhile). */
export async function shred(file: string): Promise<void> {
  let handle
  try {
    handle = await open(file, 'r+')
  } catch (error) {
    if (gone(error)) return
    throw error
  }
  try {
    const { size } = await handle.stat()
    for (let at = 0; at < size;) at += (await handle.write(ZEROS, 0, Math.min(ZEROS.length, size - at), at)).bytesWritten
    await handle.sync()
  } finally {
    await handle.close()
    await unlink(file).catch((error: unknown) => { if (!gone(error)) throw error })
  }
}

/** Shreds `file` before returning (an erasure answers only once no snapshot holds what it erased). */
export function shredSync(file: string): void {
  let fd: number
  try {
    fd = openSync(file, 'r+')
  } catch (error) {
    if (gone(error)) return
    throw error
  }
  try {
    const size = fstatSync(fd).size
    for (let at = 0; at < size;) at += writeSync(fd, ZEROS, 0, Math.min(ZEROS.length, size - at), at)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
    try {
      unlinkSync(file)
    } catch (error) {
      if (!gone(error)) throw error
    }
  }
}
