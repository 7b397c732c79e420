/**
 * `placement-ledger export` and `placement-ledger restore FILE`: the way from the embedded store
 * to EventStoreDB and back (tools/transfer.ts exports; write/restore.ts restores). Each works on
 * the configured store (EVENTSTORE_CONNECTION_STRING, else the SQLite file in LEDGER_DATA_DIR):
 *
 *   placement-ledger export > ledger.ndjson                      # from SQLite
 *   EVENTSTORE_CONNECTION_STRING=esdb://... placement-ledger restore ledger.ndjson
 *
 * export writes every envelope as NDJSON on stdout, nothing else; it only reads (the SQLite file
 * opened read-only, nothing created). restore writes into an empty store only, and refuses a file
 * whose sealed applications would read `erased` in this data directory unless --accept-erased
 * (restore-keys.ts); it then verifies the restored log against the file and prints one JSON
 * summary line. Progress goes to stderr on a terminal only. Exit codes: 0 done; 1 the store
 * failed (restore: midway, leaving a partial ledger) or the restored log does not verify as the
 * file does; 2 bad arguments, a file refused, a target store that already holds events, or
 * applications that would read erased.
 */
import { stat } from 'node:fs/promises'
import type { Writable } from 'node:stream'
import { verifyStore } from '../read/audit'
import { exportLog } from '../tools/transfer'
import { checkExportFile, isEmptyStore, RefusedFile, restoreFile } from '../write/restore'
import { ensureDataDir, type Config } from '../config'
import { openStore, openStoreReadOnly } from '../store/open'
import type { EventStore } from '../store/types'
import { parseStrict } from './args'
import { USAGE } from './help'
import { progressLine, stdout, type Output } from './output'
import { checkSealedApplications, whyUnreadable, type KeyPlace } from './restore-keys'
import type { MovedKeys } from '../tools/move-keys'

const EXPORT_USAGE = USAGE.export
const RESTORE_USAGE = USAGE.restore

export interface TransferDeps {
  /** Opens the configured store; the command closes it. */
  openStore(): Promise<EventStore>
  /** export: where the NDJSON goes (default stdout). */
  out?: Writable
  /** restore: the summary line (default stdout). */
  summary?: Output
  /** Error lines (default stderr). */
  err?: (text: string) => void
  /**
   * restore: the target's data directory, whose key store and pepper must open the file's sealed
   * applications (unless --accept-erased). Absent: not checked (a caller without one, in tests).
   */
  keys?: () => KeyPlace
}

/** The configured store, for restore: it may create LEDGER_DATA_DIR. */
export function configuredStore(config: Config): () => Promise<EventStore> {
  return async () => {
    ensureDataDir(config)
    return openStore(config)
  }
}

/** The configured store, for export: read-only, and a missing ledger is refused, not made. */
export const readOnlyStore = (config: Config) => () => openStoreReadOnly(config)

const stderr = (text: string) => { process.stderr.write(text) }
const describe = (error: unknown) => (error instanceof Error ? error.message : String(error))

export async function runExportCommand(args: string[], deps: TransferDeps): Promise<number> {
  const err = deps.err ?? stderr
  try {
    parseStrict(args, {})
  } catch (error) {
    err(`export: ${describe(error)} (${EXPORT_USAGE})\n`)
    return 2
  }
  const store = await deps.openStore()
  const progress = progressLine('export: events')
  let events = 0
  try {
    const result = await exportLog(store, deps.out ?? process.stdout, (n) => {
      events = n
      progress.update(n)
    })
    progress.update(result.events, result.events)
    return 0
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error
    err(`export: the output was closed after ${events} events\n`)
    return 1
  } finally {
    progress.end()
    await store.close()
  }
}

/** The one FILE argument and the flag; throws an Error whose message is one line. */
function restoreArgs(args: string[]): { file: string; acceptErased: boolean } {
  let parsed
  try {
    parsed = parseStrict(args, { 'accept-erased': { type: 'boolean' } }, true)
  } catch (error) {
    throw new Error(`${describe(error)} (${RESTORE_USAGE})`)
  }
  if (parsed.positionals.length !== 1) throw new Error(`name one FILE, written by \`placement-ledger export\` (${RESTORE_USAGE})`)
  return { file: parsed.positionals[0], acceptErased: parsed.values['accept-erased'] === true }
}

export async function runRestoreCommand(args: string[], deps: TransferDeps): Promise<number> {
  const err = deps.err ?? stderr
  const out = deps.summary ?? stdout
  let file: string
  let acceptErased: boolean
  try {
    ;({ file, acceptErased } = restoreArgs(args))
    if (!(await stat(file)).isFile()) throw new Error(`${file} is not a file`)
  } catch (error) {
    err(`restore: ${describe(error)}\n`)
    return 2
  }
  // Before the store is opened: a refusal leaves the data directory as it was.
  if (!acceptErased && deps.keys !== undefined && (await refusedForKeys(file, deps.keys(), err))) return 2

  const store = await deps.openStore()
  try {
    const notEmpty = async () => {
      if (await isEmptyStore(store)) return false
      err(`restore: the ${store.kind} store already holds events (head position ${await store.headPosition()}); ` +
        'restore writes only into an empty store: nothing was written\n')
      return true
    }
    if (await notEmpty()) return 2

    const checking = progressLine('restore: checking the file, events')
    let checked
    try {
      checked = await checkExportFile(file, (n) => checking.update(n))
      checking.update(checked.events, checked.events)
    } catch (error) {
      if (!(error instanceof RefusedFile)) throw error
      err(`restore: ${file}: ${error.message}; nothing was written\n`)
      return 2
    } finally {
      checking.end()
    }
    // Checked again: something may have written while the file was read (a service left running).
    if (await notEmpty()) return 2

    // The moved SQLite ledger's keys go to the server before its events: run again after a
    // failure, the copy finds what it wrote already.
    let keys: MovedKeys | undefined
    const place = deps.keys?.()
    if (place?.moveKeys !== undefined && store.kind === 'eventstoredb') {
      try {
        keys = await place.moveKeys()
      } catch (error) {
        err(`restore: moving the personal-data keys of ${place.keysFile} to the server failed: ${describe(error)}. ` +
          'No event was written; the keys copied so far are copied again harmlessly when restore runs again\n')
        return 1
      }
      err(`restore: personal-data keys moved to the server: ${keys.copied} copied, ${keys.already} there already, ${keys.erased} erased\n`)
    }

    const writing = progressLine('restore: events')
    let written = 0
    try {
      await restoreFile(store, checked, (n) => {
        written = n
        writing.update(n, checked.events)
      })
    } catch (error) {
      writing.end()
      out.write(`${JSON.stringify({ ok: false, store: store.kind, restored: written, events: checked.events, error: describe(error) })}\n`)
      err(`restore: failed after ${written} of ${checked.events} events: ${describe(error)}. ` +
        'The store now holds part of the ledger: restore again into a fresh, empty store\n')
      return 1
    }
    writing.end()

    // The target's own reading of what it now holds: every chain whole, the same heads as the file.
    const verifying = progressLine('restore: verifying, events')
    const verified = await verifyStore(store, { onProgress: (events) => verifying.update(events, checked.events) })
      .finally(() => verifying.end())
    const ok = verified.ok && verified.events === checked.events && verified.digest === checked.digest
    out.write(`${JSON.stringify({
      ok, store: store.kind, restored: written, events: checked.events, streams: checked.streams,
      digest: checked.digest, head: await store.headPosition(), ...(keys === undefined ? {} : { keys }), ...(ok ? {} : { verify: verified }),
    })}\n`)
    if (!ok) err('restore: the restored log does not verify as the file does (see "verify" in the summary)\n')
    return ok ? 0 : 1
  } finally {
    await store.close()
  }
}

/** True (and said why) when some of the file's sealed applications would read erased here. */
async function refusedForKeys(file: string, place: KeyPlace, err: (text: string) => void): Promise<boolean> {
  const reading = progressLine('restore: reading the sealed applications, events')
  let check
  try {
    check = await checkSealedApplications(file, place, (n) => reading.update(n))
  } catch (error) {
    if (!(error instanceof RefusedFile)) throw error
    err(`restore: ${file}: ${error.message}; nothing was written\n`)
    return true
  } finally {
    reading.end()
  }
  if (check.unreadableLearners === 0) return false
  err(`restore: the personal data of ${check.unreadableLearners} learners in ${file} (${check.sealed} sealed applications in all) ` +
    `would read \`erased\` for good: ${whyUnreadable(place)}. Copy the exported ledger's pepper and personal-keys.db ` +
    '(into EventStoreDB too: restore then moves its keys to the server) ' +
    `(taken with its service stopped) into ${place.dataDir}, or run again with --accept-erased to restore without them. ` +
    'Nothing was written\n')
  return true
}
