/**
 * Requests the reliability clients send, each with its eventIds fixed in advance so that a
 * re-send after a crash is the same request: the idempotency the service promises.
 */
import { randomUUID } from 'node:crypto'
import { application, cohort, completed, enrolled, operator, placement, screened } from '../support/scenario'
import type { Api, Answer } from './support'

export interface PlannedRequest {
  method: 'POST' | 'PUT'
  path: string
  body: Record<string, unknown>
  /** The eventIds the request records, in order. */
  eventIds: string[]
}

type LearnerEvent = { type: string; data: Record<string, unknown> }

const withId = (e: LearnerEvent) => ({ ...e, eventId: randomUUID() })

function learnerRequest(learnerId: string, events: LearnerEvent[], expectedRevision?: number): PlannedRequest {
  const sent = events.map(withId)
  const body = sent.length === 1 && expectedRevision === undefined
    ? sent[0]
    : { events: sent, ...(expectedRevision === undefined ? {} : { expectedRevision }) }
  return { method: 'POST', path: `/v1/learners/${learnerId}/events`, body, eventIds: sent.map((e) => e.eventId) }
}

/**
 * A learner's life in four requests (six events): apply; screening and enrolment in one atomic
 * batch; completion; two placements in one batch. `expectedRevision` on two of them, as a
 * careful client would send.
 */
export function learnerLife(learnerId: string, nationalId: string, cohortId = 'C-1'): PlannedRequest[] {
  return [
    learnerRequest(learnerId, [application(nationalId)]),
    learnerRequest(learnerId, [screened(), enrolled(cohortId)], 0),
    learnerRequest(learnerId, [completed(cohortId)]),
    learnerRequest(learnerId, [placement('P-1', '2025-06-02'), placement('P-2', '2025-09-01', 'cdd')], 3),
  ]
}

/** Operators OP-1 and OP-2, the programme target and a cohort per operator with room for everyone. */
export function setupRequests(capacity = 10_000): PlannedRequest[] {
  const single = (method: 'POST' | 'PUT', path: string, data: Record<string, unknown>): PlannedRequest => {
    const eventId = randomUUID()
    return { method, path, body: { ...data, eventId }, eventIds: [eventId] }
  }
  return [
    single('POST', '/v1/operators', operator('OP-1')),
    single('POST', '/v1/operators', operator('OP-2')),
    single('PUT', '/v1/programme/target', { learnersTarget: 15_000, deadline: '2026-12-31' }),
    single('POST', '/v1/cohorts', cohort('C-1', 'OP-1', { capacity })),
    single('POST', '/v1/cohorts', cohort('C-2', 'OP-2', { capacity })),
  ]
}

export const send = (api: Api, r: PlannedRequest): Promise<Answer> => api.send(r.method, r.path, r.body)

/** A write answer (201, or 200 for a re-send) for exactly the request's eventIds. */
export function isAcknowledged(r: PlannedRequest, a: Answer): boolean {
  if (a.status !== 201 && a.status !== 200) return false
  const ids = (a.body?.events ?? []).map((e: { eventId: string }) => e.eventId)
  return ids.length === r.eventIds.length && ids.every((id: string, i: number) => id === r.eventIds[i])
}

export interface AcknowledgedEvent {
  eventId: string
  streamRevision: number
  position: number
}

export const acknowledgedEvents = (a: Answer): AcknowledgedEvent[] =>
  a.body.events.map((e: AcknowledgedEvent) => ({ eventId: e.eventId, streamRevision: e.streamRevision, position: e.position }))
