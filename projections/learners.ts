/**
 * The learner read model: one learner as currently known (every fact not retracted), and the
 * lookups the command handler needs for the person rule and operator ownership.
 */
import type {
  ApplicationSubmitted,
  ApplicationScreened,
  FollowUpRecorded,
  LearnerWithdrew,
  PlacementEnded,
  PlacementRecorded,
  PlacementVerified,
  TrainingCompleted,
} from '../events'
import type { LedgerState } from './ledger'
import { CURRENT } from './read-point'
import { milestonesAt, type LearnerStatus } from './milestones'

export type { LearnerStatus } from './milestones'

export interface PlacementView {
  placementId: string
  employer: PlacementRecorded['employer']
  sector: string
  jobTitle: string
  contractType: PlacementRecorded['contractType']
  startDate: string
  monthlySalaryMad?: number
  region: PlacementRecorded['region']
  ended?: { endDate: string; reason: PlacementEnded['reason'] }
  /** The latest verification: it wins over earlier ones. */
  verification?: { method: PlacementVerified['method']; outcome: PlacementVerified['outcome']; verifiedOn: string }
}

export interface LearnerView {
  learnerId: string
  operatorId: string
  status: LearnerStatus
  /** The application's attributes; never the personKey. */
  application: Pick<ApplicationSubmitted, 'gender' | 'birthYear' | 'region' | 'educationLevel' | 'background' | 'submittedOn'>
  screening?: { decision: ApplicationScreened['decision']; screenedOn: string; reason?: string }
  cohortId?: string
  enrolledOn?: string
  withdrawal?: { cohortId: string; withdrewOn: string; reason: LearnerWithdrew['reason'] }
  completion?: { cohortId: string; completedOn: string; certified: boolean; finalScore?: number }
  placements: PlacementView[]
  followUps: Array<{ monthsAfterCompletion: FollowUpRecorded['monthsAfterCompletion']; status: FollowUpRecorded['status']; surveyedOn: string }>
  retractedEventIds: string[]
  streamRevision: number
}

/** A learner as currently known, or undefined when no such learner was recorded. */
export function learnerView(state: LedgerState, learnerId: string): LearnerView | undefined {
  const rec = state.learners.get(learnerId)
  if (rec === undefined) return undefined
  const m = milestonesAt(rec, CURRENT)
  const view: LearnerView = {
    learnerId,
    operatorId: rec.operatorId,
    status: m.status,
    application: {
      gender: rec.gender,
      birthYear: rec.birthYear,
      region: rec.region,
      educationLevel: rec.educationLevel,
      background: rec.background,
      submittedOn: rec.submittedOn,
    },
    placements: [],
    followUps: [],
    retractedEventIds: [],
    streamRevision: rec.streamRevision,
  }
  if (m.screening !== undefined) {
    const s = m.screening.data
    view.screening = { decision: s.decision, screenedOn: s.screenedOn, ...(s.reason !== undefined && { reason: s.reason }) }
  }
  if (m.enrolment !== undefined) {
    view.cohortId = m.enrolment.data.cohortId
    view.enrolledOn = m.enrolment.data.enrolledOn
  }
  if (m.withdrawal !== undefined) {
    const w = m.withdrawal.data
    view.withdrawal = { cohortId: w.cohortId, withdrewOn: w.withdrewOn, reason: w.reason }
  }
  if (m.completion !== undefined) view.completion = completionView(m.completion.data)

  const byId = new Map<string, PlacementView>()
  for (const f of rec.facts) {
    if (f.retractedAt !== undefined) {
      view.retractedEventIds.push(f.eventId)
      continue
    }
    if (f.type === 'PlacementRecorded') {
      const p = placementView(f.data)
      byId.set(p.placementId, p)
      view.placements.push(p)
    } else if (f.type === 'PlacementEnded') {
      const p = byId.get(f.data.placementId)
      if (p !== undefined) p.ended = { endDate: f.data.endDate, reason: f.data.reason }
    } else if (f.type === 'PlacementVerified') {
      const p = byId.get(f.data.placementId)
      if (p !== undefined) p.verification = { method: f.data.method, outcome: f.data.outcome, verifiedOn: f.data.verifiedOn }
    } else if (f.type === 'FollowUpRecorded') {
      const { monthsAfterCompletion, status, surveyedOn } = f.data
      view.followUps.push({ monthsAfterCompletion, status, surveyedOn })
    }
  }
  return view
}

function completionView(c: TrainingCompleted): NonNullable<LearnerView['completion']> {
  return {
    cohortId: c.cohortId,
    completedOn: c.completedOn,
    certified: c.certified,
    ...(c.finalScore !== undefined && { finalScore: c.finalScore }),
  }
}

function placementView(p: PlacementRecorded): PlacementView {
  return {
    placementId: p.placementId,
    employer: p.employer.legalId === undefined ? { name: p.employer.name } : { name: p.employer.name, legalId: p.employer.legalId },
    sector: p.sector,
    jobTitle: p.jobTitle,
    contractType: p.contractType,
    startDate: p.startDate,
    ...(p.monthlySalaryMad !== undefined && { monthlySalaryMad: p.monthlySalaryMad }),
    region: p.region,
  }
}

/**
 * True when the person holds a learner record other than `exceptLearnerId` that is not rejected
 * and not withdrawn; a record applied for and not yet screened counts as active.
 */
export function personHasActiveRecord(state: LedgerState, personKey: string, exceptLearnerId: string): boolean {
  for (const rec of state.learnersByPerson.get(personKey) ?? []) {
    if (rec.learnerId === exceptLearnerId) continue
    const status = milestonesAt(rec, CURRENT).status
    if (status !== 'rejected' && status !== 'withdrawn') return true
  }
  return false
}

/** The operator that submitted the learner's application, or undefined for an unknown learner. */
export function learnerOperatorId(state: LedgerState, learnerId: string): string | undefined {
  return state.learners.get(learnerId)?.operatorId
}
