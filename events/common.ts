import { z } from 'zod'

/** Ids of operators, cohorts, learners, placements and reports. */
export const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an id is 1 to 64 of A-Z a-z 0-9 _ -')

function isCalendarDate(s: string): boolean {
  const d = new Date(`${s}T00:00:00Z`)
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s
}

/**
 * Business dates lie between these (docs/domain.md, "Events"): no programme fact happens in year
 * 0001 or 9999, and such a date is a typo that would otherwise pass and skew every figure.
 */
export const FIRST_BUSINESS_DATE = '1900-01-01'
export const LAST_BUSINESS_DATE = '2100-12-31'

/** A business date, YYYY-MM-DD, read in Africa/Casablanca, from 1900-01-01 to 2100-12-31. */
export const BusinessDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date is YYYY-MM-DD')
  .refine(isCalendarDate, { message: 'not a calendar date', abort: true })
  // YYYY-MM-DD strings compare as the dates they name.
  .refine((s) => s >= FIRST_BUSINESS_DATE && s <= LAST_BUSINESS_DATE, `a business date lies between ${FIRST_BUSINESS_DATE} and ${LAST_BUSINESS_DATE}`)

/** A UTC timestamp as the server writes it: ISO 8601 with milliseconds and Z. */
export const Timestamp = z.iso.datetime({ offset: false, precision: 3 })

export const REGIONS = [
  'MA-01', 'MA-02', 'MA-03', 'MA-04', 'MA-05', 'MA-06',
  'MA-07', 'MA-08', 'MA-09', 'MA-10', 'MA-11', 'MA-12',
] as const
/** ISO 3166-2:MA region code. */
export const Region = z.enum(REGIONS)
export type Region = z.infer<typeof Region>

/** The programme's own tracks; any slug is accepted as a track. */
export const PROGRAMME_TRACKS = [
  'front-end', 'back-end', 'full-stack', 'data', 'ai',
  'cybersecurity', 'cloud-devops', 'sap', 'salesforce', 'servicenow',
] as const
export const Track = z.string().regex(/^[a-z0-9-]{1,64}$/, 'a track is a slug of a-z 0-9 -')

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 is 64 lowercase hex digits')

/** Free text kept short: names, titles, reasons. */
export const Text = (max = 200) => z.string().trim().min(1).max(max)

/** What an erased attribute reads as, and the group key erased learners count under. */
export const ERASED = 'erased' as const
export type Erased = typeof ERASED
