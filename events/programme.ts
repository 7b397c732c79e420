import { z } from 'zod'
import { BusinessDate, Id, Sha256Hex, Timestamp } from './common'

export const GROUP_BYS = ['programme', 'operator', 'cohort', 'track', 'region', 'gender', 'ageBand', 'completionQuarter'] as const
export const GroupBy = z.enum(GROUP_BYS)
export type GroupBy = z.infer<typeof GroupBy>

export const DEFINITION_IDS = ['insertion-180d-v1', 'employment-at-6m-v1'] as const
export const DefinitionId = z.enum(DEFINITION_IDS)
export type DefinitionId = z.infer<typeof DefinitionId>

export const programmeEvents = {
  ProgrammeTargetSet: z.strictObject({
    learnersTarget: z.number().int().positive().max(100_000_000),
    deadline: BusinessDate,
  }),
  ReportPublished: z.strictObject({
    reportId: Id,
    definition: DefinitionId,
    groupBy: GroupBy,
    asOf: BusinessDate,
    knownAt: Timestamp,
    position: z.number().int().nonnegative(),
    digest: Sha256Hex,
  }),
} as const

export type ProgrammeTargetSet = z.infer<typeof programmeEvents.ProgrammeTargetSet>
export type ReportPublished = z.infer<typeof programmeEvents.ReportPublished>
export type ProgrammeEvent =
  | { type: 'ProgrammeTargetSet'; data: ProgrammeTargetSet }
  | { type: 'ReportPublished'; data: ReportPublished }

export const PROGRAMME_STREAM = 'programme'
