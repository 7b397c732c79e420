/**
 * Erasing a learner's personal data (law 09-08, GDPR art. 17) without rewriting history: record
 * `PersonalDataErased` on the learner's stream, so that the live projections, every replay and
 * the audit trail see who erased what and when; then destroy the learner's key, which makes the
 * sealed attributes unreadable in every copy of the log; then remove projection snapshots older
 * than the erasure, which held them decrypted.
 *
 * Idempotent: a second call finds the event, finishes whatever is left, and answers the same.
 * Crash-safe: the event comes first, so a crash before the key is destroyed leaves a record the
 * next call, or the next start (`completePending`), finishes.
 */
import { randomUUID } from 'node:crypto'
import {
  ERASED, isSealedApplication, isSealedType, SEALED_VERSIONS, splitPersonal, toLearnerStreamId,
  type Actor, type Envelope, type PersonalDataErased,
} from '../../events'
import { businessToday, type Clock } from '../clock'
import type { ProjectionRunner } from '../read/runner'
import { forbidden, LedgerError, notFound, WrongExpectedRevision } from '../errors'
import type { EventStore } from '../store/types'
import type { PersonalKeyStore } from '../privacy/key-store'

const MAX_ATTEMPTS = 5

export interface ErasureDeps {
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

export const personalDataInClear = (learnerId: string, type = 'ApplicationSubmitted') => new LedgerError(409, 'personal-data-in-clear',
  `learner ${learnerId} has personal data recorded before it was sealed (${type} schema version 1): ` +
  'it is in clear in the log, and erasing it would mean rewriting recorded history')

export class PersonalDataEraser {
  constructor(private readonly deps: ErasureDeps) {}

  async erase(actor: Actor, learnerId: string, request: ErasureRequest, correlationId: string): Promise<ErasureResult> {
    if (actor.role !== 'admin') throw forbidden()
    const { store, runner, clock } = this.deps
    const streamId = toLearnerStreamId(learnerId)
    for (let attempt = 1; ; attempt++) {
      const stored = await store.readStream(streamId)
      if (stored.length === 0) throw notFound(`learner ${learnerId}`)
      const done = stored.find((e) => e.type === 'PersonalDataErased')
      if (done !== undefined) {
        await runner.require(done.position)
        await this.finish(learnerId, done.position)
        return resultOf(learnerId, done, true)
      }
      const application = stored.find((e) => e.type === 'ApplicationSubmitted')
      if (application === undefined || !isSealedApplication(application.data)) throw personalDataInClear(learnerId)
      // An event recorded before its type was sealed holds its personal fields in clear.
      const inClear = stored.find((e) => isSealedType(e.type) && e.schemaVersion < SEALED_VERSIONS[e.type]
        && splitPersonal(e.type, e.data).personal !== undefined)
      if (inClear !== undefined) throw personalDataInClear(learnerId, inClear.type)
      const data: PersonalDataErased = { learnerId, erasedOn: businessToday(clock), reason: request.reason ?? 'data-subject-request' }
      try {
        const result = await store.append(streamId, stored.length - 1, [
          { eventId: randomUUID(), type: 'PersonalDataErased', schemaVersion: 1, data, actor, correlationId },
        ])
        await runner.require(result.position)
        await this.finish(learnerId, result.position)
        const event = result.events[0]
        return { ...data, eventId: event.eventId, streamRevision: event.streamRevision, position: event.position, duplicate: false }
      } catch (error) {
        // Another write to the stream in between (perhaps the same erasure): read it again.
        if (!(error instanceof WrongExpectedRevision) || attempt >= MAX_ATTEMPTS) throw error
      }
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
      if (keys.destroy(rec.learnerId, erasure.position)) finished++
    }
    // A position from another store (a ledger restored elsewhere) may lie past this log's head.
    const last = Math.min(keys.lastErasurePosition(), runner.position)
    if (last > 0) await runner.dropSnapshotsBefore(last)
    return finished
  }

  private async finish(learnerId: string, position: number): Promise<void> {
    this.deps.keys.destroy(learnerId, position)
    await this.deps.runner.dropSnapshotsBefore(position)
  }
}

function resultOf(learnerId: string, e: Envelope, duplicate: boolean): ErasureResult {
  const data = e.data as PersonalDataErased
  return {
    learnerId, erasedOn: data.erasedOn, reason: data.reason,
    eventId: e.eventId, streamRevision: e.streamRevision, position: e.position, duplicate,
  }
}
