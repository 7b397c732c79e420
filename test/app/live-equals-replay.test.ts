import t from 'tap'
import fc from 'fast-check'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { upcast } from '../../events'
import { evolveLedger, initialLedgerState, ledgerSnapshot } from '../../projections/ledger'
import { computeIndicator } from '../../projections/indicators'
import { createLedger } from '../../src/app/ledger'
import { canonicalJson } from '../../src/store/hash'
import { openSqliteStore } from '../../src/store/sqlite'
import { LedgerError } from '../../src/errors'
import { GROUP_BYS } from '../../events'

const admin = { keyId: 'admin', role: 'admin' as const }
const auditor = { keyId: 'auditor', role: 'auditor' as const }
const day = (offset: number) => new Date(Date.UTC(2025, 0, 6 + offset)).toISOString().slice(0, 10)

/** One random action; most are valid, some break rules (those answer 409 and write nothing). */
const action = fc.oneof(
  fc.record({ kind: fc.constant('apply' as const), l: fc.nat(5), person: fc.nat(4) }),
  fc.record({ kind: fc.constant('screen' as const), l: fc.nat(5), decision: fc.constantFrom('accepted', 'accepted', 'rejected', 'waitlisted') }),
  fc.record({ kind: fc.constant('enrol' as const), l: fc.nat(5), c: fc.nat(1), d: fc.nat(20) }),
  fc.record({ kind: fc.constant('withdraw' as const), l: fc.nat(5), c: fc.nat(1), d: fc.nat(60) }),
  fc.record({ kind: fc.constant('complete' as const), l: fc.nat(5), c: fc.nat(1), d: fc.integer({ min: 60, max: 120 }) }),
  fc.record({ kind: fc.constant('place' as const), l: fc.nat(5), p: fc.nat(2), d: fc.integer({ min: -10, max: 400 }), contract: fc.constantFrom('cdi', 'cdd', 'internship', 'freelance') }),
  fc.record({ kind: fc.constant('end' as const), l: fc.nat(5), p: fc.nat(2), d: fc.integer({ min: 100, max: 500 }) }),
  fc.record({ kind: fc.constant('follow' as const), l: fc.nat(5), m: fc.constantFrom(3, 6, 12), status: fc.constantFrom('employed', 'unemployed', 'unknown', 'studying') }),
  fc.record({ kind: fc.constant('verify' as const), l: fc.nat(5), p: fc.nat(2), outcome: fc.constantFrom('confirmed', 'not-confirmed') }),
  fc.record({ kind: fc.constant('retract' as const), l: fc.nat(5), i: fc.nat(12) }),
)

t.test('for random valid histories, the live projections equal a fresh replay of the log', async (t) => {
  let learnerEventsWritten = 0
  let retractionsWritten = 0
  await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 5, maxLength: 40 }), async (actions) => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-prop-'))
    const ledger = createLedger({ store: openSqliteStore(join(dir, 'ledger.db')), personKey: (id) => id.padEnd(64, '0').slice(0, 64).replace(/[^0-9a-f]/g, 'a') })
    try {
      await ledger.start()
      const c = ledger.commands
      await c.registerOperator(admin, { operatorId: 'OP', name: 'Operator' })
      for (const cohortId of ['C0', 'C1']) {
        await c.openCohort(admin, { cohortId, operatorId: 'OP', track: 'data', region: 'MA-01', city: 'Tanger', startDate: day(0), endDate: day(120), capacity: 3, format: 'remote' })
      }
      const learnerEvents = new Map<string, string[]>()
      for (const a of actions) {
        const learnerId = `L${a.l}`
        const write = (type: string, data: unknown, actor = admin) => c.appendLearnerEvents(actor, learnerId, [{ type: type as never, data }])
        try {
          let result
          switch (a.kind) {
            case 'apply': result = await write('ApplicationSubmitted', { operatorId: 'OP', nationalId: `N${a.person}`, gender: 'female', birthYear: 2000, region: 'MA-01', educationLevel: 'bac', background: 'stem', submittedOn: day(-30) }); break
            case 'screen': result = await write('ApplicationScreened', { decision: a.decision, screenedOn: day(-10) }); break
            case 'enrol': result = await write('LearnerEnrolled', { cohortId: `C${a.c}`, enrolledOn: day(a.d) }); break
            case 'withdraw': result = await write('LearnerWithdrew', { cohortId: `C${a.c}`, withdrewOn: day(a.d), reason: 'personal' }); break
            case 'complete': result = await write('TrainingCompleted', { cohortId: `C${a.c}`, completedOn: day(a.d), certified: true }); break
            case 'place': result = await write('PlacementRecorded', { placementId: `P${a.p}`, employer: { name: 'E' }, sector: 'IT', jobTitle: 'Dev', contractType: a.contract, startDate: day(a.d), region: 'MA-01', evidence: { kind: 'contract', sha256: 'b'.repeat(64) } }); break
            case 'end': result = await write('PlacementEnded', { placementId: `P${a.p}`, endDate: day(a.d), reason: 'resigned' }); break
            case 'follow': result = await write('FollowUpRecorded', { monthsAfterCompletion: a.m, status: a.status, surveyedOn: day(400) }); break
            case 'verify': result = await write('PlacementVerified', { placementId: `P${a.p}`, method: 'cnss-match', outcome: a.outcome, verifiedOn: day(420) }, auditor); break
            case 'retract': {
              const ids = learnerEvents.get(learnerId) ?? []
              if (ids.length === 0) continue
              result = await write('EventRetracted', { retractedEventId: ids[a.i % ids.length], reason: 'correction' })
              break
            }
          }
          learnerEventsWritten += result.events.length
          if (a.kind === 'retract') retractionsWritten++
          learnerEvents.set(learnerId, [...(learnerEvents.get(learnerId) ?? []), ...result.events.map((e) => e.eventId)])
        } catch (error) {
          if (!(error instanceof LedgerError) || error.statusCode !== 409) throw error
        }
      }
      const replayed = initialLedgerState()
      for await (const envelope of ledger.store.readAll()) evolveLedger(replayed, upcast(envelope))
      const live = canonicalJson(ledgerSnapshot(ledger.runner.state))
      if (live !== canonicalJson(ledgerSnapshot(replayed))) return false
      for (const groupBy of GROUP_BYS) {
        const q = { definition: 'insertion-180d-v1' as const, groupBy, asOf: '2026-06-30', knownAt: '2999-01-01T00:00:00.000Z' }
        if (canonicalJson(computeIndicator(ledger.runner.state, q)) !== canonicalJson(computeIndicator(replayed, q))) return false
      }
      return true
    } finally {
      await ledger.close()
      rmSync(dir, { recursive: true, force: true })
    }
  }), { numRuns: 25 })
  t.ok(learnerEventsWritten > 100, `the histories were not trivial: ${learnerEventsWritten} learner events`)
  t.ok(retractionsWritten > 0, `retractions were exercised: ${retractionsWritten}`)
  t.pass('25 random histories: live state and fresh replay agree, snapshot and every grouping')
})
