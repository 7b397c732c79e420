/**
 * The erasure decider (law 09-08, GDPR art. 17): an admin erases a learner's personal data once,
 * by recording `PersonalDataErased` on the learner's stream; the shell then destroys the
 * learner's key (src/write/erasure.ts). Erasing is only possible when every personal field of
 * the stream was recorded sealed: one recorded in clear (an event stored below its type's sealed
 * schema version) would stay readable, and erasing it would mean rewriting recorded history.
 */
import {
  isSealedType, SEALED_VERSIONS, splitPersonal,
  type Actor, type PersonalDataErased,
} from '../../events'
import { forbidden, LedgerError, notFound } from '../errors'
import type { EraseLearnerPersonalData } from './commands'
import type { DecidedEvent } from './types'

export interface ErasureState {
  /** Events recorded in the stream. */
  eventCount: number
  /** The recorded erasure, if any: a learner is erased once. */
  erasure?: DecidedEvent<'PersonalDataErased', PersonalDataErased>
  /** The first application: whether it was recorded sealed. */
  application?: { sealed: boolean }
  /** The type of the first event that holds personal fields in clear. */
  inClear?: string
}

export interface ErasureContext {
  actor: Actor
}

export function initialErasureState(): ErasureState {
  return { eventCount: 0 }
}

const storedBelowSealed = (e: DecidedEvent): boolean =>
  isSealedType(e.type) && (e.schemaVersion ?? 1) < SEALED_VERSIONS[e.type]

/** Pure and total: returns a new state. */
export function evolveErasure(state: ErasureState, event: DecidedEvent): ErasureState {
  const s: ErasureState = { ...state, eventCount: state.eventCount + 1 }
  if (event.type === 'PersonalDataErased') {
    return s.erasure === undefined ? { ...s, erasure: event as DecidedEvent<'PersonalDataErased', PersonalDataErased> } : s
  }
  const withApplication = event.type === 'ApplicationSubmitted' && s.application === undefined
    ? { ...s, application: { sealed: !storedBelowSealed(event) } }
    : s
  // Recorded before its type was sealed, with personal fields: they are in clear in the log.
  if (withApplication.inClear === undefined && storedBelowSealed(event) && isSealedType(event.type)
    && splitPersonal(event.type, event.data).personal !== undefined) {
    return { ...withApplication, inClear: event.type }
  }
  return withApplication
}

export function foldErasure(events: readonly DecidedEvent[]): ErasureState {
  return events.reduce(evolveErasure, initialErasureState())
}

export const personalDataInClear = (learnerId: string, type = 'ApplicationSubmitted') => new LedgerError(409, 'personal-data-in-clear',
  `learner ${learnerId} has personal data recorded before it was sealed (${type} schema version 1): ` +
  'it is in clear in the log, and erasing it would mean rewriting recorded history')

/**
 * EraseLearnerPersonalData -> [PersonalDataErased], or [] when the learner is already erased
 * (idempotent: the recorded erasure answers). 403 for any key but an admin's, 404 for a learner
 * with no event, 409 personal-data-in-clear when some personal field was recorded in clear.
 */
export function decideErasure(command: EraseLearnerPersonalData, state: ErasureState, ctx: ErasureContext): DecidedEvent[] {
  if (ctx.actor.role !== 'admin') throw forbidden()
  const { learnerId } = command
  if (state.eventCount === 0) throw notFound(`learner ${learnerId}`)
  if (state.erasure !== undefined) return []
  if (state.application === undefined || !state.application.sealed) throw personalDataInClear(learnerId)
  if (state.inClear !== undefined) throw personalDataInClear(learnerId, state.inClear)
  const data: PersonalDataErased = { learnerId, erasedOn: command.erasedOn, reason: command.reason ?? 'data-subject-request' }
  return [{ eventId: command.eventId, type: 'PersonalDataErased', data }]
}
