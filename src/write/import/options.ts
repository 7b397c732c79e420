/** The options of one import (importer.ts), apart so the importer's helpers can name them. */
import type { ImportEventId } from './event-id'

/** Where the importer reports the person rule's refusals (a pino logger, or anything that warns). */
export interface WarnLog {
  warn(details: object, message: string): void
}

export interface ImportOptions {
  /** Decide every row, write none; later rows are judged against the earlier ones. */
  dryRun: boolean
  /**
   * The eventId of a row that names none, keyed with the server's pepper (event-id.ts; the
   * ledger's `importEventId`). Without it such a row is rejected `event-id-required`.
   */
  eventIdOf?: ImportEventId
  /**
   * Every row the person rule refuses (`person-has-active-record`) is logged here at warn level
   * with the caller's key id, line and learnerId, never the national id or its personKey: a
   * series of them is someone asking which national ids hold a record.
   */
  log?: WarnLog
  /** Stamped on every event of the import, so an audit can tell which import wrote them. */
  correlationId?: string
  /**
   * Commands in flight at once (rows that share no ordering key). Default 128: the embedded
   * store commits the appends in flight together (group commit), so more in flight means fewer
   * fsyncs; measured with bench/import.ts.
   */
  concurrency?: number
  /** Rows read ahead of the oldest unanswered one; bounds memory (a few MB). Default 4096. */
  readAhead?: number
  /**
   * Rows decided and written together in a real import. Default 1000: large enough that a
   * chunk's appends share one commit and one wait for the projections; small enough that
   * answers keep streaming and a chunk's state stays a few MB.
   */
  chunkRows?: number
  /**
   * Rows a dry run starts between two turns of the event loop. Default 100: a dry-run row takes
   * well under a millisecond of CPU, so other requests wait tens of milliseconds at most.
   */
  dryRunChunkRows?: number
}
