/**
 * Moving a ledger from one store to another (SQLite to EventStoreDB and back): the log as NDJSON,
 * one stored envelope a line in log order, and that file restored into an empty store with its
 * eventIds, stream revisions, recordedAt and hashes as they were. Positions are the target
 * store's own: they mean nothing across stores.
 *
 * Export reads the log a page at a time as the output drains (here). Restore is a write: the
 * write side's (src/write/restore.ts), re-exported here for the callers of this module.
 */
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import type { EventStore } from '../store/types'
import { ndjsonChunks } from '../read/audit'

export {
  checkExportFile, isEmptyStore, readExportFile, RefusedFile, restoreFile, RESTORE_BATCH, type CheckedFile,
} from '../write/restore'

export interface ExportResult {
  events: number
  /** The head position when the export started: the last position exported (0: empty log). */
  head: number
}

/**
 * Writes the log as it stood when the call started, waiting for `out` to drain whenever its
 * buffer is full, so memory stays bounded however long the log and however slow the reader.
 */
export async function exportLog(store: EventStore, out: Writable, onProgress?: (events: number) => void): Promise<ExportResult> {
  const head = await store.headPosition()
  let events = 0
  let failed: Error | undefined
  const onError = (error: Error) => { failed = error }
  out.on('error', onError)
  try {
    for await (const chunk of ndjsonChunks(store, { until: head })) {
      if (failed !== undefined) throw failed
      for (let i = chunk.indexOf('\n'); i !== -1; i = chunk.indexOf('\n', i + 1)) events++
      if (!out.write(chunk)) await once(out, 'drain')
      onProgress?.(events)
    }
    if (failed !== undefined) throw failed
  } finally {
    out.off('error', onError)
  }
  return { events, head }
}
