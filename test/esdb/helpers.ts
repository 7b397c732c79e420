/** Helpers of the EventStoreDB tests: waiting on events, and ledger events written past the client. */
import { randomUUID } from 'node:crypto'
import { GENESIS_HASH } from '../../events'
import { eventHash } from '../../src/store/hash'
import type { Proposed } from './log'

/** Conditions re-checked on every `changed()`: `until` resolves once its condition holds (or rejects on `fail`). */
export class Changes {
  private checks = new Set<() => void>()
  private failure: Error | undefined

  changed(): void {
    this.checks.forEach((check) => check())
  }

  fail(error: Error): void {
    this.failure = error
    this.changed()
  }

  until(done: () => boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.failure !== undefined) {
          this.checks.delete(check)
          reject(this.failure)
        } else if (done()) {
          this.checks.delete(check)
          resolve()
        }
      }
      this.checks.add(check)
      check()
    })
  }
}

/**
 * An event as the ledger writes it (metadata, hash chain), for the test server's log directly:
 * what another writer puts in while this client is cut off.
 */
export function ledgerRecord(streamId: string, streamRevision: number, prevHash = GENESIS_HASH, data: Record<string, unknown> = { n: streamRevision }): Proposed {
  const eventId = randomUUID()
  const recordedAt = new Date().toISOString()
  const actor = { keyId: 'other-writer', role: 'admin' as const }
  const hash = eventHash({ streamId, streamRevision, eventId, type: 'WrittenElsewhere', schemaVersion: 1, data, recordedAt, actor, prevHash })
  const metadata = { schemaVersion: 1, recordedAt, actor, correlationId: randomUUID(), prevHash, hash }
  const json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8')
  return { id: eventId, type: 'WrittenElsewhere', contentType: 'application/json', data: json(data), metadata: json(metadata) }
}
