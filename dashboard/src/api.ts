/**
 * The ledger's HTTP API as the dashboard uses it. The key lives in sessionStorage: this tab
 * only, gone when the tab closes, never sent anywhere but this origin's /v1.
 */

export type GroupBy = 'programme' | 'operator' | 'cohort' | 'track' | 'region' | 'gender' | 'ageBand' | 'completionQuarter'
export type Definition = 'insertion-180d-v1' | 'employment-at-6m-v1'

// The group shapes are the projections' own (type-only imports: nothing of them is bundled), so
// the dashboard stops compiling when the API's figures change shape.
import type { InsertionGroup } from '../../projections/indicators/insertion'
import type { EmploymentGroup } from '../../projections/indicators/employment'

export type { InsertionGroup, EmploymentGroup }

export interface Figures<G> {
  definition: string
  asOf: string
  knownAt: string
  position: number
  groups: G[]
}

export interface Progress {
  learnersTarget: number | null
  deadline: string | null
  enrolled: number
  share: number | null
}

interface Explained {
  learnerId: string
  completedOn?: string
  placementId?: string
  eventIds: string[]
}

export interface Explanation {
  population: Explained[]
  placed: Explained[]
  notMeasurable: Explained[]
}

/** The point in time of every figure; absent fields mean the server's today and now. */
export interface When {
  asOf?: string
  knownAt?: string
}

/** A refused or failed call: `status` 0 when the server could not be reached. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message)
    this.name = 'ApiError'
  }
}

const KEY_ITEM = 'placement-ledger.api-key'

export const savedKey = (): string | null => sessionStorage.getItem(KEY_ITEM)
export const saveKey = (key: string): void => sessionStorage.setItem(KEY_ITEM, key)
export const forgetKey = (): void => sessionStorage.removeItem(KEY_ITEM)

function url(path: string, params: Record<string, string | undefined>): string {
  const query = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') query.set(name, value)
  const text = query.toString()
  return text === '' ? path : `${path}?${text}`
}

async function call(path: string, params: Record<string, string | undefined>, accept: string): Promise<Response> {
  const key = savedKey()
  if (key === null) throw new ApiError(401, 'unauthorized', 'no API key')
  let response: Response
  try {
    response = await fetch(url(path, params), { headers: { authorization: `Bearer ${key}`, accept }, cache: 'no-store' })
  } catch {
    throw new ApiError(0, 'network', 'the server could not be reached')
  }
  if (response.ok) return response
  let code = ''
  let message = response.statusText
  try {
    const body = (await response.json()) as { code?: unknown; message?: unknown }
    if (typeof body.code === 'string') code = body.code
    if (typeof body.message === 'string') message = body.message
  } catch {
    // Not the API's JSON error (a proxy's page, say): the status alone says enough.
  }
  throw new ApiError(response.status, code, message)
}

const json = async <T>(path: string, params: Record<string, string | undefined>): Promise<T> =>
  (await (await call(path, params, 'application/json')).json()) as T

export const progress = (): Promise<Progress> => json('/v1/indicators/progress', {})

export const insertion = (groupBy: GroupBy, when: When): Promise<Figures<InsertionGroup>> =>
  json('/v1/indicators/insertion', { groupBy, definition: 'insertion-180d-v1', asOf: when.asOf, knownAt: when.knownAt })

export const employment = (groupBy: GroupBy, when: When): Promise<Figures<EmploymentGroup>> =>
  json('/v1/indicators/insertion', { groupBy, definition: 'employment-at-6m-v1', asOf: when.asOf, knownAt: when.knownAt })

/** The learners and eventIds behind one group's insertion figures (auditor and admin keys). */
export const explain = (groupBy: GroupBy, key: string, asOf: string, knownAt: string): Promise<Explanation> =>
  json('/v1/audit/explain/insertion', { groupBy, key, asOf, knownAt })

/**
 * Saves the API's own CSV for a table. The query is pinned to the asOf and knownAt the table
 * shows (the answer's, not the inputs'), so the file holds exactly the figures on screen.
 */
export async function downloadCsv(definition: string, groupBy: GroupBy, asOf: string, knownAt: string): Promise<string> {
  const response = await call('/v1/indicators/insertion', { groupBy, definition, asOf, knownAt, format: 'csv' }, 'text/csv')
  const blob = await response.blob()
  const filename = `${definition}_${groupBy}_asof-${asOf}_known-${knownAt.replace(/[:.]/g, '-')}.csv`
  const link = document.createElement('a')
  link.href = URL.createObjectURL(blob)
  link.download = filename
  link.hidden = true
  document.body.append(link)
  link.click()
  link.remove()
  // Revoking at once can cancel the download in some browsers; a minute is plenty.
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000)
  return filename
}
