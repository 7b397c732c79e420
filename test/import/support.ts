import type { Harness, KeyName } from '../support/harness'
import { application, completed, enrolled, screened } from '../support/scenario'

export interface ImportAnswer {
  rows: Array<{ line: number; status: 'accepted' | 'rejected' | 'duplicate'; eventId?: string; code?: string; message?: string }>
  accepted: number
  rejected: number
  duplicate: number
  dryRun: boolean
  position: number
}

/** One NDJSON row: a learner event as the scenario builders make them, with the learnerId. */
export const row = (learnerId: string, event: { type: string; data: unknown }, extra: Record<string, unknown> = {}) =>
  ({ learnerId, ...event, ...extra })

export const ndjson = (rows: unknown[]) => rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n') + '\n'

/** A learner's path from application to enrolment, in file order. */
export const path = (learnerId: string, nationalId: string, cohortId = 'C-1', operatorId = 'OP-1') => [
  row(learnerId, application(nationalId, operatorId)),
  row(learnerId, screened()),
  row(learnerId, enrolled(cohortId)),
]

export async function postImport(h: Harness, as: KeyName | null, payload: string | Buffer, contentType: string, query = '') {
  return h.call(as, { method: 'POST', url: `/v1/imports${query}`, payload, headers: { 'content-type': contentType } })
}

/** Posts NDJSON and expects a 200; returns the parsed answer. */
export async function importNdjson(h: Harness, as: KeyName, rows: unknown[], query = ''): Promise<ImportAnswer> {
  const res = await postImport(h, as, ndjson(rows), 'application/x-ndjson', query)
  if (res.statusCode !== 200) throw new Error(`import answered ${res.statusCode}: ${res.body}`)
  return res.json()
}

export async function importCsv(h: Harness, as: KeyName, csv: string | Buffer, type: string, query = ''): Promise<ImportAnswer> {
  const res = await postImport(h, as, csv, 'text/csv', `?type=${type}${query}`)
  if (res.statusCode !== 200) throw new Error(`import answered ${res.statusCode}: ${res.body}`)
  return res.json()
}

/** The learner as the API shows it (admin), or the status code when it cannot. */
export async function learner(h: Harness, learnerId: string) {
  const res = await h.call('admin', { method: 'GET', url: `/v1/learners/${learnerId}` })
  return res.statusCode === 200 ? res.json() : res.statusCode
}

export { application, completed, enrolled, screened }
