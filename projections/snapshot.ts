/**
 * The whole ledger state as a plain JSON value, for the replay digest. Two stores holding the
 * same events must give the same value, so it holds only what comes from the events themselves
 * (eventIds, stream revisions, recordedAt, data) and never a store position; and since two
 * stores may interleave streams differently in their logs, every collection is sorted by key.
 * Facts keep their stream order, which is the same in every store.
 *
 * Known-at moments (a fact's `knownAt` and `retractionKnownAt`, the state's `knownUntil` and
 * `learnersKnownUntil`) are left out, like positions: they come from the order of the log, not
 * from the events alone. With several writers, two stores that interleave the same streams
 * differently give some events different known-at moments, and their digests must still agree.
 * Where the log is ordered, a fact's known-at moments are its own recordedAt and its
 * retraction's, which the value holds; and the value, hence the digest, of such a log is exactly
 * what it was before known-at became a running maximum.
 */
import type { Fact, LedgerState } from './state'

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }

const byKey = <T>(m: Map<string, T>): Array<[string, T]> =>
  [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))

const sortedIds = (records: Array<{ learnerId: string }>): string[] => records.map((r) => r.learnerId).sort()

/** Copies an object without its undefined members, so that the value is plain JSON. */
function plain(o: object): JsonObject {
  const out: JsonObject = {}
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v as Json
  return out
}

function factJson(f: Fact): JsonObject {
  // day and code are derived from date and data: leaving them out keeps the value readable.
  const out: JsonObject = { eventId: f.eventId, type: f.type, recordedAt: f.recordedAt, date: f.date, data: f.data as JsonObject }
  if (f.retractedAt !== undefined) out.retractedAt = f.retractedAt
  return out
}

export function ledgerSnapshot(state: LedgerState): unknown {
  return {
    operators: byKey(state.operators).map(([, o]) => plain(o)),
    cohorts: byKey(state.cohorts).map(([, c]) => plain(c)),
    target: state.target === undefined ? null : plain(state.target),
    // A report's `position` is the publishing store's and means nothing on another one.
    reports: byKey(state.reports).map(([, r]) => {
      const { position: _storePosition, ...rest } = r
      return plain(rest)
    }),
    learners: byKey(state.learners).map(([, l]) => ({
      learnerId: l.learnerId,
      streamRevision: l.streamRevision,
      operatorId: l.operatorId,
      personKey: l.personKey,
      gender: l.gender,
      birthYear: l.birthYear,
      region: l.region,
      submittedOn: l.submittedOn,
      educationLevel: l.educationLevel,
      background: l.background,
      facts: l.facts.map(factJson),
    })),
    learnersByPerson: byKey(state.learnersByPerson).map(([k, ids]) => [k, sortedIds(ids)]),
    learnersByCohort: byKey(state.learnersByCohort).map(([k, ids]) => [k, sortedIds(ids)]),
    learnersRecordedUntil: state.learnersRecordedUntil,
  }
}
