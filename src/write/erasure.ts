/**
 * Erasing a learner's personal data (law 09-08, GDPR art. 17) without rewriting history: record
 * `PersonalDataErased` on the learner's stream, so that the live projections, every replay and
 * the audit trail see who erased what and when; then destroy the learner's key, which makes the
 * sealed attributes unreadable in every copy of the log; then remove projection snapshots older
 * than the erasure, which held them decrypted.
 *
 * The event is written by the one write pipeline (commands.ts `eraseLearnerPersonalData`, decided
 * by domain/erasure.ts): same reads, retries and waiting for the projections as every write. This
 * class keeps only what follows the commit: the key's destruction and the snapshots' removal.
 *
 * Idempotent: a second call finds the event, finishes whatever is left, and answers the same.
 * Crash-safe: the event comes first, so a crash before the key is destroyed leaves a record the
 * next call, or the next start (`completePending`), finishes.
 */
import { ERASED, toLearnerStreamId, type Actor, type PersonalDataErased } from '../../events'
import { businessToday, type Clock } from '../clock'
import type { ProjectionRunner } from '../read/runner'
import type { EventStore } from '../store/types'
import type { PersonalKeyStore } from '../privacy/key-store'
import type { LedgerCommands } from './types'

export interface ErasureDeps {
  /** The write pipeline (commands.ts): it decides (domain/erasure.ts) and records the event. */
  commands: Pick<LedgerCommands, 'eraseLearnerPersonalData'>
  store: EventStore
  runner: ProjectionRunner
  keys: PersonalKeyStore
  clock: Clock
}

export interface ErasureRequest {
  reason?: PersonalDataErased['reason']
}

export interface ErasureResult {
  learnerId: string
  erasedOn: string
  reason: PersonalDataErased['reason']
  /** The `PersonalDataErased` event. */
  eventId: string
  streamRevision: number
  position: number
  /** True when the learner was already erased: nothing was written. */
  duplicate: boolean
}

export class PersonalDataEraser {
  constructor(private readonly deps: ErasureDeps) {}

  /**
   * The event through the write pipeline (403, 404, 409 personal-data-in-clear; an erasure
   * already recorded answers again, nothing written), then the after-commit effect: the key
   * destroyed and the older snapshots dropped.
   */
  async erase(actor: Actor, learnerId: string, request: ErasureRequest, correlationId: string): Promise<ErasureResult> {
    const { result, erasure } = await this.deps.commands.eraseLearnerPersonalData(
      actor, learnerId, { erasedOn: businessToday(this.deps.clock), reason: request.reason }, { correlationId })
    const event = result.events[0]
    await this.finish(learnerId, event.position)
    return {
      learnerId, erasedOn: erasure.erasedOn, reason: erasure.reason,
      eventId: event.eventId, streamRevision: event.streamRevision, position: event.position, duplicate: result.duplicate,
    }
  }

  /**
   * At start, once the projections hold the log: finishes erasures a crash interrupted (the
   * event recorded, the key not yet destroyed), and removes snapshots older than the last
   * erasure. Returns how many keys it destroyed.
   */
  async completePending(): Promise<number> {
    const { store, runner, keys } = this.deps
    let finished = 0
    for (const rec of runner.state.learners.values()) {
      // Erased in the projection: by the event, or because the key is already gone.
      if (rec.gender !== ERASED || keys.isDestroyed(rec.learnerId)) continue
      const erasure = (await store.readStream(toLearnerStreamId(rec.learnerId))).find((e) => e.type === 'PersonalDataErased')
      if (erasure === undefined) continue
      if (await keys.destroy(rec.learnerId, erasure.position)) finished++
    }
    // A position from another store (a ledger restored elsewhere) may lie past this log's head.
    const last = Math.min(keys.lastErasurePosition(), runner.position)
    if (last > 0) await runner.dropSnapshotsBefore(last)
    return finished
  }

  private async finish(learnerId: string, position: number): Promise<void> {
    await this.deps.keys.destroy(learnerId, position)
    await this.deps.runner.dropSnapshotsBefore(position)
  }
}
