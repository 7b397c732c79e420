import { z } from 'zod'
import { BusinessDate, Id, Region, Sha256Hex, Text, type Erased } from './common'

export const Gender = z.enum(['female', 'male', 'undisclosed'])
export const EducationLevel = z.enum(['below-bac', 'bac', 'bac+2', 'bac+3', 'bac+5', 'doctorate'])
export const Background = z.enum(['stem', 'economics-management', 'humanities-law', 'other'])
export const ScreeningDecision = z.enum(['accepted', 'rejected', 'waitlisted'])
export const WithdrawalReason = z.enum(['found-job', 'personal', 'financial', 'academic', 'health', 'other'])
export const ContractType = z.enum(['cdi', 'cdd', 'anapec-idmaj', 'freelance', 'self-employed', 'internship'])
export const PlacementEndReason = z.enum(['resigned', 'dismissed', 'contract-ended', 'other'])
export const EvidenceKind = z.enum(['contract', 'cnss-declaration', 'employer-attestation', 'other'])
export const FollowUpStatus = z.enum(['employed', 'unemployed', 'studying', 'unknown'])
export const VerificationMethod = z.enum(['cnss-match', 'employer-call', 'document-review'])
export const VerificationOutcome = z.enum(['confirmed', 'not-confirmed'])

/** Contracts that count as an insertion (an internship does not). */
export const QUALIFYING_CONTRACTS: ReadonlySet<string> = new Set(['cdi', 'cdd', 'anapec-idmaj', 'freelance', 'self-employed'])

/**
 * Data of each learner event as the client sends it: `learnerId` comes from the path, and
 * `ApplicationSubmitted` carries `nationalId`, which the server turns into `personKey`.
 */
export const learnerInputs = {
  ApplicationSubmitted: z.strictObject({
    operatorId: Id,
    nationalId: z.string().min(1).max(64),
    gender: Gender,
    birthYear: z.number().int().min(1900).max(2100),
    region: Region,
    educationLevel: EducationLevel,
    background: Background,
    submittedOn: BusinessDate,
  }),
  ApplicationScreened: z.strictObject({
    decision: ScreeningDecision,
    reason: Text(500).optional(),
    screenedOn: BusinessDate,
  }),
  LearnerEnrolled: z.strictObject({ cohortId: Id, enrolledOn: BusinessDate }),
  LearnerWithdrew: z.strictObject({ cohortId: Id, withdrewOn: BusinessDate, reason: WithdrawalReason }),
  TrainingCompleted: z.strictObject({
    cohortId: Id,
    completedOn: BusinessDate,
    certified: z.boolean(),
    finalScore: z.number().min(0).max(100).optional(),
  }),
  PlacementRecorded: z.strictObject({
    placementId: Id,
    employer: z.strictObject({ name: Text(), legalId: Text(64).optional() }),
    sector: Text(),
    jobTitle: Text(),
    contractType: ContractType,
    startDate: BusinessDate,
    monthlySalaryMad: z.number().min(0).max(10_000_000).optional(),
    region: Region,
    evidence: z.strictObject({ kind: EvidenceKind, sha256: Sha256Hex }),
  }),
  PlacementEnded: z.strictObject({
    placementId: Id,
    endDate: BusinessDate,
    reason: PlacementEndReason,
  }),
  FollowUpRecorded: z.strictObject({
    monthsAfterCompletion: z.union([z.literal(3), z.literal(6), z.literal(12)]),
    status: FollowUpStatus,
    surveyedOn: BusinessDate,
  }),
  PlacementVerified: z.strictObject({
    placementId: Id,
    method: VerificationMethod,
    outcome: VerificationOutcome,
    verifiedOn: BusinessDate,
  }),
  EventRetracted: z.strictObject({ retractedEventId: z.uuid(), reason: Text(500) }),
} as const

export type LearnerEventType = keyof typeof learnerInputs
export const LEARNER_EVENT_TYPES = Object.keys(learnerInputs) as LearnerEventType[]

const withLearner = { learnerId: Id }
const { nationalId: _dropped, ...applicationFields } = learnerInputs.ApplicationSubmitted.shape

/**
 * Data of each learner event as stored (schema version 1). From version 2, `ApplicationSubmitted`
 * is stored sealed instead (personal.ts `ApplicationSubmittedV2`).
 */
export const learnerEvents = {
  ApplicationSubmitted: z.strictObject({ ...withLearner, ...applicationFields, personKey: Sha256Hex }),
  ApplicationScreened: learnerInputs.ApplicationScreened.extend(withLearner),
  LearnerEnrolled: learnerInputs.LearnerEnrolled.extend(withLearner),
  LearnerWithdrew: learnerInputs.LearnerWithdrew.extend(withLearner),
  TrainingCompleted: learnerInputs.TrainingCompleted.extend(withLearner),
  PlacementRecorded: learnerInputs.PlacementRecorded.extend(withLearner),
  PlacementEnded: learnerInputs.PlacementEnded.extend(withLearner),
  FollowUpRecorded: learnerInputs.FollowUpRecorded.extend(withLearner),
  PlacementVerified: learnerInputs.PlacementVerified.extend(withLearner),
  EventRetracted: learnerInputs.EventRetracted.extend(withLearner),
} as const satisfies Record<LearnerEventType, z.ZodType>

/** `ApplicationSubmitted` as stored in schema version 1, every attribute in clear. */
export type ApplicationSubmittedV1 = z.infer<typeof learnerEvents.ApplicationSubmitted>
/**
 * `ApplicationSubmitted` as deciders and projections read it (personal.ts upcasts both stored
 * versions to it): once the learner's personal data is erased, each attribute reads `erased`
 * and `personKey` is absent.
 */
export type ApplicationSubmitted = Pick<ApplicationSubmittedV1, 'learnerId' | 'operatorId' | 'submittedOn'> & {
  personKey?: ApplicationSubmittedV1['personKey']
  gender: ApplicationSubmittedV1['gender'] | Erased
  birthYear: ApplicationSubmittedV1['birthYear'] | Erased
  region: ApplicationSubmittedV1['region'] | Erased
  educationLevel: ApplicationSubmittedV1['educationLevel'] | Erased
  background: ApplicationSubmittedV1['background'] | Erased
}
export type ApplicationScreened = z.infer<typeof learnerEvents.ApplicationScreened>
export type LearnerEnrolled = z.infer<typeof learnerEvents.LearnerEnrolled>
export type LearnerWithdrew = z.infer<typeof learnerEvents.LearnerWithdrew>
export type TrainingCompleted = z.infer<typeof learnerEvents.TrainingCompleted>
export type PlacementRecorded = z.infer<typeof learnerEvents.PlacementRecorded>
export type PlacementEnded = z.infer<typeof learnerEvents.PlacementEnded>
export type FollowUpRecorded = z.infer<typeof learnerEvents.FollowUpRecorded>
export type PlacementVerified = z.infer<typeof learnerEvents.PlacementVerified>
export type EventRetracted = z.infer<typeof learnerEvents.EventRetracted>

/** A learner event as the deciders and projections see it: type and data together. */
export type LearnerEvent =
  | { type: 'ApplicationSubmitted'; data: ApplicationSubmitted }
  | { type: 'ApplicationScreened'; data: ApplicationScreened }
  | { type: 'LearnerEnrolled'; data: LearnerEnrolled }
  | { type: 'LearnerWithdrew'; data: LearnerWithdrew }
  | { type: 'TrainingCompleted'; data: TrainingCompleted }
  | { type: 'PlacementRecorded'; data: PlacementRecorded }
  | { type: 'PlacementEnded'; data: PlacementEnded }
  | { type: 'FollowUpRecorded'; data: FollowUpRecorded }
  | { type: 'PlacementVerified'; data: PlacementVerified }
  | { type: 'EventRetracted'; data: EventRetracted }

export const LEARNER_CATEGORY = 'learner'
export const toLearnerStreamId = (learnerId: string) => `${LEARNER_CATEGORY}-${learnerId}`

/** The business date an event speaks of; `asOf` D leaves out events dated after D. */
export function businessDateOf(e: LearnerEvent): string | undefined {
  switch (e.type) {
    case 'ApplicationSubmitted': return e.data.submittedOn
    case 'ApplicationScreened': return e.data.screenedOn
    case 'LearnerEnrolled': return e.data.enrolledOn
    case 'LearnerWithdrew': return e.data.withdrewOn
    case 'TrainingCompleted': return e.data.completedOn
    case 'PlacementRecorded': return e.data.startDate
    case 'PlacementEnded': return e.data.endDate
    case 'FollowUpRecorded': return e.data.surveyedOn
    case 'PlacementVerified': return e.data.verifiedOn
    case 'EventRetracted': return undefined
    default: {
      const _exhaustive: never = e
      return _exhaustive
    }
  }
}
