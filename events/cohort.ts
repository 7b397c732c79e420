import { z } from 'zod'
import { BusinessDate, Id, Region, Text, Track } from './common'

export const CohortFormat = z.enum(['onsite', 'hybrid', 'remote'])

export const cohortEvents = {
  CohortOpened: z.strictObject({
    cohortId: Id,
    operatorId: Id,
    track: Track,
    region: Region,
    city: Text(100),
    startDate: BusinessDate,
    endDate: BusinessDate,
    capacity: z.number().int().positive().max(10_000),
    format: CohortFormat,
  }),
  CohortClosed: z.strictObject({ cohortId: Id, closedOn: BusinessDate }),
} as const

export type CohortOpened = z.infer<typeof cohortEvents.CohortOpened>
export type CohortClosed = z.infer<typeof cohortEvents.CohortClosed>
export type CohortEvent =
  | { type: 'CohortOpened'; data: CohortOpened }
  | { type: 'CohortClosed'; data: CohortClosed }

export const COHORT_CATEGORY = 'cohort'
export const toCohortStreamId = (cohortId: string) => `${COHORT_CATEGORY}-${cohortId}`
