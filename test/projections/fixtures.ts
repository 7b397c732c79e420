/**
 * Builds small histories as stored envelopes (increasing positions, per-stream revisions, a clock
 * the test sets, fake hashes) and folds them into a LedgerState.
 */
import type { ApplicationSubmitted, DomainEnvelope, LearnerEvent, PlacementRecorded } from '../../events'
import { evolveLedger, initialLedgerState, type LedgerState } from '../../projections/ledger'

const HASH = 'a'.repeat(64)
const PERSON = (n: number) => n.toString(16).padStart(64, '0')

type LearnerData<T extends LearnerEvent['type']> = Omit<Extract<LearnerEvent, { type: T }>['data'], 'learnerId'>

export class History {
  readonly envelopes: DomainEnvelope[] = []
  private position: number
  private readonly revisions = new Map<string, number>()
  private clock: number
  private ids = 0
  private persons = 0

  constructor(options: { start?: string; firstPosition?: number } = {}) {
    this.clock = Date.parse(options.start ?? '2025-01-01T08:00:00.000Z')
    this.position = (options.firstPosition ?? 1) - 1
  }

  /** Sets the clock: the next events are recorded at `recordedAt` (then one second apart). */
  at(recordedAt: string): this {
    this.clock = Date.parse(recordedAt)
    return this
  }

  /** The recordedAt the next event will get. */
  now(): string {
    return new Date(this.clock).toISOString()
  }

  add(streamId: string, type: string, data: Record<string, unknown>): DomainEnvelope {
    const streamRevision = (this.revisions.get(streamId) ?? -1) + 1
    this.revisions.set(streamId, streamRevision)
    this.ids++
    const envelope = {
      eventId: `00000000-0000-4000-8000-${this.ids.toString(16).padStart(12, '0')}`,
      type,
      schemaVersion: 1,
      streamId,
      streamRevision,
      position: ++this.position,
      data,
      metadata: {
        recordedAt: this.now(),
        actor: { keyId: 'test', role: 'admin' as const },
        correlationId: 'test',
        prevHash: HASH,
        hash: HASH,
      },
    } as DomainEnvelope
    this.clock += 1000
    this.envelopes.push(envelope)
    return envelope
  }

  operator(operatorId: string): DomainEnvelope {
    return this.add(`operator-${operatorId}`, 'OperatorRegistered', { operatorId, name: `Operator ${operatorId}` })
  }

  cohort(cohortId: string, o: { operatorId?: string; track?: string; region?: string; startDate?: string; endDate?: string; capacity?: number } = {}): DomainEnvelope {
    return this.add(`cohort-${cohortId}`, 'CohortOpened', {
      cohortId,
      operatorId: o.operatorId ?? 'op1',
      track: o.track ?? 'data',
      region: o.region ?? 'MA-06',
      city: 'Casablanca',
      startDate: o.startDate ?? '2025-01-06',
      endDate: o.endDate ?? '2025-05-30',
      capacity: o.capacity ?? 30,
      format: 'onsite',
    })
  }

  closeCohort(cohortId: string, closedOn: string): DomainEnvelope {
    return this.add(`cohort-${cohortId}`, 'CohortClosed', { cohortId, closedOn })
  }

  learner<T extends LearnerEvent['type']>(learnerId: string, type: T, data: LearnerData<T>): DomainEnvelope {
    return this.add(`learner-${learnerId}`, type, { learnerId, ...data })
  }

  apply(learnerId: string, o: Partial<Omit<ApplicationSubmitted, 'learnerId'>> = {}): DomainEnvelope {
    return this.learner(learnerId, 'ApplicationSubmitted', {
      operatorId: 'op1',
      personKey: PERSON(++this.persons),
      gender: 'female',
      birthYear: 2000,
      region: 'MA-06',
      educationLevel: 'bac+2',
      background: 'stem',
      submittedOn: '2024-12-01',
      ...o,
    })
  }

  screen(learnerId: string, decision: 'accepted' | 'rejected' | 'waitlisted', screenedOn = '2024-12-15'): DomainEnvelope {
    return this.learner(learnerId, 'ApplicationScreened', { decision, screenedOn })
  }

  enrol(learnerId: string, cohortId: string, enrolledOn = '2025-01-06'): DomainEnvelope {
    return this.learner(learnerId, 'LearnerEnrolled', { cohortId, enrolledOn })
  }

  withdraw(learnerId: string, cohortId: string, withdrewOn: string): DomainEnvelope {
    return this.learner(learnerId, 'LearnerWithdrew', { cohortId, withdrewOn, reason: 'personal' })
  }

  complete(learnerId: string, cohortId: string, completedOn = '2025-05-30'): DomainEnvelope {
    return this.learner(learnerId, 'TrainingCompleted', { cohortId, completedOn, certified: true })
  }

  place(learnerId: string, placementId: string, startDate: string, contractType: PlacementRecorded['contractType'] = 'cdi'): DomainEnvelope {
    return this.learner(learnerId, 'PlacementRecorded', {
      placementId,
      employer: { name: 'Acme' },
      sector: 'IT',
      jobTitle: 'Developer',
      contractType,
      startDate,
      region: 'MA-06',
      evidence: { kind: 'contract', sha256: HASH },
    })
  }

  verify(learnerId: string, placementId: string, outcome: 'confirmed' | 'not-confirmed', verifiedOn: string): DomainEnvelope {
    return this.learner(learnerId, 'PlacementVerified', { placementId, method: 'cnss-match', outcome, verifiedOn })
  }

  followUp(learnerId: string, monthsAfterCompletion: 3 | 6 | 12, status: 'employed' | 'unemployed' | 'studying' | 'unknown', surveyedOn: string): DomainEnvelope {
    return this.learner(learnerId, 'FollowUpRecorded', { monthsAfterCompletion, status, surveyedOn })
  }

  retract(learnerId: string, target: DomainEnvelope): DomainEnvelope {
    return this.learner(learnerId, 'EventRetracted', { retractedEventId: target.eventId, reason: 'entered by mistake' })
  }

  /** A learner applied, accepted, enrolled and completed in one go. */
  completer(learnerId: string, cohortId: string, o: { enrolledOn?: string; completedOn?: string; apply?: Partial<Omit<ApplicationSubmitted, 'learnerId'>> } = {}): void {
    this.apply(learnerId, o.apply)
    this.screen(learnerId, 'accepted')
    this.enrol(learnerId, cohortId, o.enrolledOn)
    this.complete(learnerId, cohortId, o.completedOn)
  }

  state(): LedgerState {
    return fold(this.envelopes)
  }
}

export function fold(envelopes: Iterable<DomainEnvelope>): LedgerState {
  const state = initialLedgerState()
  for (const e of envelopes) evolveLedger(state, e)
  return state
}

/** A knownAt later than anything the tests record. */
export const NOW = '2030-01-01T00:00:00.000Z'
