import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, fsyncSync, linkSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs'

/** File systems without hard links answer one of these; there the file is written in place. */
const NO_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'])

/**
 * Creates `file` holding `text`, or throws EEXIST when it exists, and never leaves it empty or
 * half-written: the text is written and fsynced to a temp file, which is then hard-linked into
 * place (a link fails when the name exists, so two processes starting at once still make one
 * file). A full disk or a crash leaves at most a stray temp file, never a keys or pepper file
 * that would stop every later start. An `O_EXCL` create written in place would leave an empty
 * file behind on ENOSPC.
 */
export function createFileExclusive(file: string, text: string, mode: number): void {
  // The common case, and one that must not need free space: the file is already there.
  if (existsSync(file)) throw Object.assign(new Error(`EEXIST: file already exists, '${file}'`), { code: 'EEXIST' })
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    const fd = openSync(temp, 'wx', mode)
    try {
      writeSync(fd, text)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    try {
      linkSync(temp, file)
    } catch (error) {
      if (!NO_LINKS.has((error as NodeJS.ErrnoException).code ?? '')) throw error
      writeFileSync(file, text, { flag: 'wx', mode })
    }
  } finally {
    rmSync(temp, { force: true })
  }
}
