/**
 * Owner-only files. Every file the service writes holds personal data or secrets (the ledger,
 * the personal-data key store, their WALs, snapshots, the pepper, the keys file), so each is
 * 0600 whatever the umask and whatever the mode of the directory it lands in.
 *
 * SQLite makes the database's `-wal` and `-shm` files itself, later, and gives them the mode of
 * the database file (findCreateFileMode in its unix VFS), not the umask's. So the database file
 * is made 0600 before SQLite first opens it, and its sidecars follow.
 */
import { chmodSync, closeSync, fchmodSync, openSync, statSync } from 'node:fs'

export const PRIVATE_FILE_MODE = 0o600
export const PRIVATE_DIR_MODE = 0o700

/**
 * Before SQLite opens `file` for writing: makes it, empty (an empty file is an empty database),
 * with mode 0600 if it is missing; narrows it and its sidecars to 0600 if an earlier version
 * left them wider.
 */
export function preparePrivateDatabaseFile(file: string): void {
  try {
    const fd = openSync(file, 'wx', PRIVATE_FILE_MODE)
    try {
      // open(2) applies the umask; fchmod does not, so the mode is exactly 0600.
      fchmodSync(fd, PRIVATE_FILE_MODE)
    } finally {
      closeSync(fd)
    }
    return
  } catch (error) {
    // Any other failure (no such directory, not writable, no space) is SQLite's to report as it
    // opens the file, in the terms the store's callers already turn into one clear line.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return
  }
  for (const path of [file, `${file}-wal`, `${file}-shm`]) narrowToOwner(path)
}

/** Takes group and other bits away from an existing file; a missing one is left missing. */
function narrowToOwner(path: string): void {
  let mode: number
  try {
    mode = statSync(path).mode & 0o777
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  if ((mode & 0o077) === 0) return
  try {
    chmodSync(path, mode & 0o700)
  } catch (error) {
    // A file another user owns was put there on purpose (a shared group, say): its mode is that
    // owner's to choose, and refusing to start would not narrow it either. A read-only file
    // system is SQLite's to report.
    const code = (error as NodeJS.ErrnoException).code
    if (code !== 'EPERM' && code !== 'EROFS') throw error
  }
}
