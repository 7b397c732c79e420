/**
 * The shapes of what the read routes answer, for their response schemas: fastify serializes each
 * answer through its schema (dropping what the schema does not name) and the OpenAPI document
 * shows it. Objects list their fields in the order the projections build them, since the
 * serializer writes them in the schema's order: the answers stay byte for byte what they were.
 * Objects are strict, so a field a projection gains without its schema here fails the HTTP tests
 * loudly (a 500) instead of vanishing from the answers.
 *
 * Strings are typed and given their format for the document, not checked again: the ledger
 * wrote them, once validated.
 */
import { z } from 'zod'
import {
  Background, CohortFormat, ContractType, DefinitionId, EducationLevel, ERASED, FollowUpStatus, Gender,
  GroupBy, PlacementEndReason, Region, Role, ScreeningDecision, VerificationMethod, VerificationOutcome, WithdrawalReason,
} from '../../../events'

export const Day = z.string().meta({ format: 'date', description: 'a business date, YYYY-MM-DD' })
export const Instant = z.string().meta({ format: 'date-time', description: 'UTC, with milliseconds and Z' })
export const Uuid = z.string().meta({ format: 'uuid' })
export const Sha256 = z.string().meta({ pattern: '^[0-9a-f]{64}$', description: 'SHA-256, 64 lowercase hex digits' })
const Count = z.number().int()
const Rate = z.number().nullable()

export const InsertionGroup = z.strictObject({
  key: z.string(),
  applicants: Count,
  accepted: Count,
  enrolled: Count,
  withdrawn: Count,
  completed: Count,
  measurable: Count,
  placed: Count,
  placedVerified: Count,
  insertionRate: Rate.describe('placed / measurable, unrounded; null when measurable is 0'),
  provisional: z.strictObject({ completed: Count, placedSoFar: Count }),
}).meta({ id: 'InsertionGroup', description: 'a group of insertion-180d-v1 figures' })

export const EmploymentGroup = z.strictObject({
  key: z.string(),
  completed: Count,
  due: Count,
  responded: Count,
  employed: Count,
  employmentRate: Rate.describe('employed / responded, unrounded; null when responded is 0'),
  responseRate: Rate.describe('responded / due, unrounded; null when due is 0'),
}).meta({ id: 'EmploymentGroup', description: 'a group of employment-at-6m-v1 figures' })

/** A group of either definition, where the answer does not say which one beside it. */
export const AnyGroup = z.union([InsertionGroup, EmploymentGroup])
/** The groups of one definition, sorted by key. */
export const Groups = z.union([z.array(InsertionGroup), z.array(EmploymentGroup)])

const figuresOf = <D extends z.ZodType, G extends z.ZodType>(definition: D, group: G) => z.strictObject({
  definition,
  asOf: Day,
  knownAt: Instant,
  position: Count.describe('the end of the log prefix known at knownAt (0: none)'),
  groups: z.array(group).describe('sorted by key'),
})

/** GET /v1/indicators/insertion as JSON: the groups' shape follows the definition. */
export const IndicatorFigures = z.discriminatedUnion('definition', [
  figuresOf(z.literal('insertion-180d-v1'), InsertionGroup),
  figuresOf(z.literal('employment-at-6m-v1'), EmploymentGroup),
])

/** A stored event, as the store holds it. */
export const Envelope = z.strictObject({
  eventId: Uuid,
  type: z.string(),
  schemaVersion: Count,
  streamId: z.string(),
  streamRevision: Count,
  position: Count,
  data: z.record(z.string(), z.unknown()).describe("the event's data as stored (an application of schema version 2: its personal attributes sealed)"),
  metadata: z.strictObject({
    recordedAt: Instant,
    actor: z.strictObject({ keyId: z.string(), role: Role, operatorId: z.string().optional() }),
    correlationId: z.string(),
    causationId: z.string().optional(),
    prevHash: Sha256,
    hash: Sha256,
  }),
}).meta({ id: 'Envelope' })

const orErased = <T extends z.ZodType>(attribute: T) => z.union([attribute, z.literal(ERASED)])

export const LearnerStatus = z.enum(['applied', 'waitlisted', 'accepted', 'rejected', 'enrolled', 'withdrawn', 'completed'])

const Placement = z.strictObject({
  placementId: z.string(),
  employer: z.strictObject({ name: z.string(), legalId: z.string().optional() }),
  sector: z.string(),
  jobTitle: z.string(),
  contractType: ContractType,
  startDate: Day,
  monthlySalaryMad: z.number().optional(),
  region: Region,
  ended: z.strictObject({ endDate: Day, reason: PlacementEndReason }).optional(),
  verification: z.strictObject({ method: VerificationMethod, outcome: VerificationOutcome, verifiedOn: Day }).optional()
    .describe('the latest verification: it wins over earlier ones'),
})

/** GET /v1/learners/{learnerId}: the facts first, then what the learner has reached so far. */
export const Learner = z.strictObject({
  learnerId: z.string(),
  operatorId: z.string(),
  status: LearnerStatus,
  application: z.strictObject({
    gender: orErased(Gender),
    birthYear: orErased(z.number().int()),
    region: orErased(Region),
    educationLevel: orErased(EducationLevel),
    background: orErased(Background),
    submittedOn: Day,
  }).describe('never the personKey; each attribute reads `erased` once the personal data is erased'),
  placements: z.array(Placement),
  followUps: z.array(z.strictObject({ monthsAfterCompletion: z.union([z.literal(3), z.literal(6), z.literal(12)]), status: FollowUpStatus, surveyedOn: Day })),
  retractedEventIds: z.array(Uuid),
  streamRevision: Count,
  screening: z.strictObject({ decision: ScreeningDecision, screenedOn: Day, reason: z.string().optional() }).optional(),
  cohortId: z.string().optional(),
  enrolledOn: Day.optional(),
  withdrawal: z.strictObject({ cohortId: z.string(), withdrewOn: Day, reason: WithdrawalReason }).optional(),
  completion: z.strictObject({ cohortId: z.string(), completedOn: Day, certified: z.boolean(), finalScore: z.number().optional() }).optional(),
}).meta({ id: 'Learner' })

export const CohortSummary = z.strictObject({
  cohortId: z.string(),
  operatorId: z.string(),
  track: z.string(),
  region: Region,
  city: z.string(),
  startDate: Day,
  endDate: Day,
  capacity: Count,
  format: CohortFormat,
  enrolled: Count.describe('learners ever enrolled: the size of the roster'),
  seatsTaken: Count.describe('current enrolments as capacity counts them (enrolled, not withdrawn)'),
  withdrawn: Count,
  completed: Count,
  closedOn: Day.optional(),
}).meta({ id: 'CohortSummary' })

export const RosterEntry = z.strictObject({
  learnerId: z.string(),
  status: z.enum(['enrolled', 'withdrawn', 'completed']),
  enrolledOn: Day,
  withdrewOn: Day.optional(),
  completedOn: Day.optional(),
}).meta({ id: 'RosterEntry' })

export const Progress = z.strictObject({
  learnersTarget: Count.nullable().describe('null until a target is set'),
  deadline: Day.nullable(),
  enrolled: Count.describe('learners ever enrolled'),
  share: z.number().nullable().describe('enrolled / learnersTarget, unrounded; null without a target'),
})

/** `next`: the key to pass as `after` for the next page; absent on the last page. */
export const Next = z.string().optional().describe('present while more remain: pass it as `after`')

export const ReportFigures = z.strictObject({
  definition: DefinitionId,
  groupBy: GroupBy,
  asOf: Day,
  knownAt: Instant,
  position: Count,
  groups: Groups,
})
