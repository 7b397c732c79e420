/**
 * The shape of the ledger state (see ledger.ts for how the log folds into it).
 *
 * Facts are small flat objects with the date as a day number and a `code` for the one data field
 * the indicator loops test: an indicator read walks every fact of ~150,000 learners, and what
 * dominates that walk is memory accesses, not arithmetic.
 */
import type { ApplicationSubmitted, CohortOpened, LearnerEvent, ReportPublished } from '../events'

export type LifecycleEvent = Exclude<LearnerEvent, { type: 'EventRetracted' }>
export type FactType = LifecycleEvent['type']

interface FactShape<T extends FactType, D> {
  eventId: string
  type: T
  /** The envelope's `metadata.recordedAt`: what the replay digest holds (snapshot.ts). */
  recordedAt: string
  /**
   * The event's known-at moment: the running maximum of recordedAt along the log up to and
   * including it (read-point.ts `nextKnownAt`), the moment from which a read sees the fact.
   * Equal to `recordedAt` where the log is ordered, as with one writer.
   */
  knownAt: string
  /** The business date the event speaks of (as events/learner.ts `businessDateOf`). */
  date: string
  /** `date` as a day number (dates.ts `dayNumber`): the hot loops compare it without a string. */
  day: number
  /**
   * What the hot loops need from `data`, kept here to spare them a memory access per fact:
   * ApplicationScreened 1 when accepted; PlacementRecorded 1 when the contract qualifies
   * (QUALIFYING_CONTRACTS); PlacementVerified 1 when confirmed; FollowUpRecorded its
   * monthsAfterCompletion; otherwise 0.
   */
  code: number
  /** The event's data, shared with the envelope, never copied and never mutated. */
  data: D
  /** `recordedAt` of the `EventRetracted` that retracted this fact. */
  retractedAt: string | undefined
  /** The known-at moment of that `EventRetracted`: from then on a read no longer sees the fact. */
  retractionKnownAt: string | undefined
}

/** One lifecycle event of a learner, as the queries read it. */
export type Fact = { [E in LifecycleEvent as E['type']]: FactShape<E['type'], E['data']> }[FactType]
export type FactOf<T extends FactType> = Extract<Fact, { type: T }>

export interface LearnerRecord {
  learnerId: string
  /** Revision of the last event of the stream seen. */
  streamRevision: number
  operatorId: string
  /** Absent once the learner's personal data is erased (and for no other reason). */
  personKey: string | undefined
  /** This attribute and the four below read `erased` once the learner's personal data is erased. */
  gender: ApplicationSubmitted['gender']
  birthYear: ApplicationSubmitted['birthYear']
  region: ApplicationSubmitted['region']
  submittedOn: string
  educationLevel: ApplicationSubmitted['educationLevel']
  background: ApplicationSubmitted['background']
  /** year(submittedOn) - birthYear, the age the age bands read; undefined once birthYear is erased. */
  ageAtApplication: number | undefined
  /** In stream order, the application first. */
  facts: Fact[]
}

export interface CohortRecord extends CohortOpened {
  closedOn: string | undefined
  eventId: string
  recordedAt: string
}

export interface OperatorRecord {
  operatorId: string
  name: string
  legalId: string | undefined
  eventId: string
  recordedAt: string
}

export interface TargetRecord {
  learnersTarget: number
  deadline: string
  eventId: string
  recordedAt: string
}

export interface ReportRecord extends ReportPublished {
  eventId: string
  recordedAt: string
}

export interface LedgerState {
  learners: Map<string, LearnerRecord>
  cohorts: Map<string, CohortRecord>
  operators: Map<string, OperatorRecord>
  /** The latest `ProgrammeTargetSet`. */
  target: TargetRecord | undefined
  reports: Map<string, ReportRecord>
  /** personKey -> the person's learner records, in log order. */
  learnersByPerson: Map<string, LearnerRecord[]>
  /**
   * cohortId -> records with an enrolment fact in that cohort (retracted or not), in log order.
   * Records, not ids: a cohort count then walks its learners without a lookup per learner.
   */
  learnersByCohort: Map<string, LearnerRecord[]>
  /**
   * The latest recordedAt of a learner event. Part of the replay digest since before known-at
   * was a running maximum; reads go by `learnersKnownUntil`.
   */
  learnersRecordedUntil: string
  /**
   * The known-at moment of the last event folded: the running maximum of recordedAt along the
   * log so far ('' before any event). The next event's known-at moment is the later of this and
   * its own recordedAt. Kept out of the replay digest (snapshot.ts says why).
   */
  knownUntil: string
  /** The known-at moment of the last learner event folded: a read known at or after it sees every fact. */
  learnersKnownUntil: string
  /**
   * streamId -> revision (position in the stream) of the last event applied from it, for every
   * stream but learner streams, whose records keep theirs (`LearnerRecord.streamRevision`): an
   * event at or below it is a re-delivery, which the fold skips. Revisions, not store positions:
   * the same in every store, and in stream order exactly as positions are. Left out of the
   * replay digest: it follows from the events the rest holds.
   */
  streamRevisions: Map<string, number>
}

export function initialLedgerState(): LedgerState {
  return {
    learners: new Map(),
    cohorts: new Map(),
    operators: new Map(),
    target: undefined,
    reports: new Map(),
    learnersByPerson: new Map(),
    learnersByCohort: new Map(),
    learnersRecordedUntil: '',
    knownUntil: '',
    learnersKnownUntil: '',
    streamRevisions: new Map(),
  }
}
