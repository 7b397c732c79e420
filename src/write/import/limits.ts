/**
 * How much importing a key, and the whole service, may do (api.md, Limits). An import holds a
 * disk spool, a read-ahead of rows and (dry runs) a scratch ledger while it runs, and each row
 * costs a decision: the request rate limit alone would let one key send a 64 MiB file every
 * request. So, besides the requests:
 *
 * - Running imports: one per key, `atOnce` in the service. Another one is refused at once, before
 *   its body is read (429 `import-in-progress` for the key's own, 503 `imports-busy` for the
 *   service's), with Retry-After: nothing waits in a queue holding a connection and a body.
 * - Rows: every row of every import, dry runs included, is counted against the key's budget of
 *   `rowsPerMinute`, refilled continuously. A file is charged whole once its rows are counted and
 *   may take the budget below zero, so any file up to the body limit goes through; the key's next
 *   import waits until the budget is positive again (429 `import-rows-limit`).
 * - Dry runs decide rows and write nothing, so they answer "does this national id hold an active
 *   record" for free: they have their own, smaller budget of `dryRunRowsPerHour` rows, never
 *   overdrawn. A dry run larger than the budget can hold is refused (413 `dry-run-too-large`);
 *   one larger than what is left waits (429 `dry-run-rows-limit`). A refused file is not charged.
 *
 * Budgets live in this process: behind several instances a key gets each instance's budget.
 * Time comes from the service's clock; a clock that steps back refills nothing.
 */
import { LedgerError } from '../../errors'
import type { Clock } from '../../clock'

export interface ImportLimits {
  /** Rows a key may import a minute, dry runs included (LEDGER_IMPORT_ROWS_PER_MINUTE). */
  rowsPerMinute: number
  /** Rows a key may dry-run an hour (LEDGER_IMPORT_DRY_RUN_ROWS_PER_HOUR); 0 turns dry runs off. */
  dryRunRowsPerHour: number
  /** Imports running at once in the service (LEDGER_IMPORTS_AT_ONCE); a key runs one at a time. */
  atOnce: number
}

/** Seconds a refusal for a running import asks the client to wait: imports take seconds to minutes. */
export const BUSY_RETRY_SECONDS = 10

/** A refusal of an import by its limits: the route answers it with `Retry-After` when it has one. */
export class ImportRefused extends LedgerError {
  constructor(statusCode: number, code: string, message: string, readonly retryAfterSeconds?: number) {
    super(statusCode, code, message)
    this.name = 'ImportRefused'
  }
}

/** A budget per key that refills continuously up to `capacity` over `windowMs`. */
class Budget {
  private readonly levels = new Map<string, { level: number; at: number }>()

  constructor(readonly capacity: number, private readonly windowMs: number, private readonly clock: Clock) {}

  level(key: string): number {
    const now = this.clock.now().getTime()
    const entry = this.levels.get(key)
    if (entry === undefined) return this.capacity
    const refilled = Math.max(0, now - entry.at) * (this.capacity / this.windowMs)
    return Math.min(this.capacity, entry.level + refilled)
  }

  take(key: string, rows: number): void {
    this.levels.set(key, { level: this.level(key) - rows, at: this.clock.now().getTime() })
  }

  /** Whole seconds until the level is at least `rows` (at least 1). */
  secondsUntil(key: string, rows: number): number {
    const missing = rows - this.level(key)
    return Math.max(1, Math.ceil((missing * this.windowMs) / this.capacity / 1000))
  }
}

/** What `admit` hands back: call once the import is over, however it ended. */
export type Release = () => void

export class ImportGate {
  private readonly rows: Budget
  private readonly dryRows: Budget | undefined
  private readonly running = new Set<string>()

  constructor(private readonly limits: ImportLimits, clock: Clock) {
    this.rows = new Budget(limits.rowsPerMinute, 60_000, clock)
    this.dryRows = limits.dryRunRowsPerHour === 0 ? undefined : new Budget(limits.dryRunRowsPerHour, 3_600_000, clock)
  }

  /** Imports running now. */
  get active(): number {
    return this.running.size
  }

  /** Before the body is read: takes the key's one running import, or throws why it may not start. */
  admit(keyId: string, dryRun: boolean): Release {
    if (dryRun && this.dryRows === undefined) {
      throw new ImportRefused(403, 'dry-run-disabled', 'dry runs are turned off on this service (LEDGER_IMPORT_DRY_RUN_ROWS_PER_HOUR=0); nothing was decided')
    }
    if (this.running.has(keyId)) {
      throw new ImportRefused(429, 'import-in-progress', 'an import of this key is still running; a key runs one import at a time', BUSY_RETRY_SECONDS)
    }
    if (this.running.size >= this.limits.atOnce) {
      throw new ImportRefused(503, 'imports-busy', `the service runs ${this.limits.atOnce} imports at once and all are taken; nothing was decided`, BUSY_RETRY_SECONDS)
    }
    if (this.rows.level(keyId) <= 0) {
      throw new ImportRefused(429, 'import-rows-limit', `this key has imported more than its ${this.limits.rowsPerMinute} rows a minute`, this.rows.secondsUntil(keyId, 1))
    }
    if (dryRun && this.dryRows !== undefined && this.dryRows.level(keyId) < 1) {
      throw new ImportRefused(429, 'dry-run-rows-limit', `this key has dry-run its ${this.limits.dryRunRowsPerHour} rows for the hour`, this.dryRows.secondsUntil(keyId, 1))
    }
    this.running.add(keyId)
    let released = false
    return () => {
      if (released) return
      released = true
      this.running.delete(keyId)
    }
  }

  /** Once the file's rows are counted, before any is decided: charges them, or throws (charging nothing). */
  charge(keyId: string, rows: number, dryRun: boolean): void {
    if (dryRun && this.dryRows !== undefined) {
      const { capacity } = this.dryRows
      if (rows > capacity) {
        throw new ImportRefused(413, 'dry-run-too-large', `a dry run decides at most ${capacity} rows an hour per key and this file holds ${rows}: split it, or import it for real; nothing was decided`)
      }
      const left = Math.floor(this.dryRows.level(keyId))
      if (rows > left) {
        throw new ImportRefused(429, 'dry-run-rows-limit', `this file holds ${rows} rows and this key may dry-run ${left} more now (${capacity} an hour); nothing was decided`, this.dryRows.secondsUntil(keyId, rows))
      }
      this.dryRows.take(keyId, rows)
    }
    this.rows.take(keyId, rows)
  }
}
