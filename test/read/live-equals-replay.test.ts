import t from 'tap'
import fc from 'fast-check'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { upcast } from '../../events'
import { evolveLedger, initialLedgerState, ledgerSnapshot } from '../../projections/ledger'
import { computeIndicator } from '../../projections/indicators'
import { learnerView } from '../../projections/learners'
import { createLedger } from '../../src/ledger'
import { canonicalJson } from '../../src/store/hash'
import { openSqliteStore } from '../../src/store/sqlite'
import { LedgerError } from '../../src/errors'
import { GROUP_BYS, type Actor } from '../../events'

const admin: Actor = { keyId: 'admin', role: 'admin' }
const auditor: Actor = { keyId: 'auditor', role: 'auditor' }
const day = (offset: number) => new Date(Date.UTC(2025, 0, 6 + offset)).toISOString().slice(0, 10)

/**
 * One random step for a random learner. The step is read against the learner's current status so
 * most steps are valid next moves; some still break rules (full cohort, same person, dates) and
 * answer 409 without writing.
 */
const action = fc.record({
  l: fc.nat(5), roll: fc.nat(99), person: fc.nat(6), c: fc.nat(1), d: fc.integer({ min: -10, max: 400 }), p: fc.nat(2), i: fc.nat(30),
})
t.test('for random valid histories, the live projections equal a fresh replay of the log', async (t) => {
  let learnerEventsWritten = 0
  let retractionsWritten = 0
  await t.resolves(fc.assert(fc.asyncProperty(fc.array(action, { minLength: 10, maxLength: 60 }), async (actions) => {
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
        const status = learnerView(ledger.runner.state, learnerId)?.status ?? 'none'
        const r = a.roll
        const placement = () => write('PlacementRecorded', { placementId: `P${a.p}`, employer: { name: 'E' }, sector: 'IT', jobTitle: 'Dev', contractType: ['cdi', 'cdd', 'internship', 'freelance'][r % 4], startDate: day(a.d), region: 'MA-01', evidence: { kind: 'contract', sha256: 'b'.repeat(64) } })
        const retract = () => {
          const ids = learnerEvents.get(learnerId) ?? []
          return write('EventRetracted', { retractedEventId: ids[a.i % ids.length], reason: 'correction' })
        }
        let kind = 'other'
        try {
          let result
          if (status === 'none') result = await write('ApplicationSubmitted', { operatorId: 'OP', nationalId: `N${a.person}`, gender: r % 2 ? 'female' : 'male', birthYear: 1990 + (r % 15), region: 'MA-01', educationLevel: 'bac', background: 'stem', submittedOn: day(-30) })
          else if (status === 'applied' || status === 'waitlisted' || status === 'rejected') result = await write('ApplicationScreened', { decision: r < 70 ? 'accepted' : r < 85 ? 'waitlisted' : 'rejected', screenedOn: day(-10) })
          else if (status === 'accepted') result = r < 90 ? await write('LearnerEnrolled', { cohortId: `C${a.c}`, enrolledOn: day(a.d % 20) }) : await retract()
          else if (r >= 90) { kind = 'retract'; result = await retract() }
          else if (status === 'enrolled') result = r < 40 ? await write('TrainingCompleted', { cohortId: `C${a.c}`, completedOn: day(60 + (a.d % 60)), certified: true }) : r < 55 ? await write('LearnerWithdrew', { cohortId: `C${a.c}`, withdrewOn: day(30), reason: 'personal' }) : await placement()
          else if (status === 'completed') result = r < 40 ? await placement() : r < 60 ? await write('FollowUpRecorded', { monthsAfterCompletion: [3, 6, 12][r % 3], status: ['employed', 'unemployed', 'unknown', 'studying'][r % 4], surveyedOn: day(400) }) : r < 75 ? await write('PlacementVerified', { placementId: `P${a.p}`, method: 'cnss-match', outcome: r % 2 ? 'confirmed' : 'not-confirmed', verifiedOn: day(420) }, auditor) : await write('PlacementEnded', { placementId: `P${a.p}`, endDate: day(450), reason: 'resigned' })
          else result = await placement()
          learnerEventsWritten += result.events.length
          if (kind === 'retract') retractionsWritten++
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
  }), { numRuns: 40 }), '40 random histories: live state and fresh replay agree, snapshot and every grouping')
  t.ok(learnerEventsWritten > 100, `the histories were not trivial: ${learnerEventsWritten} learner events`)
  t.ok(retractionsWritten > 0, `retractions were exercised: ${retractionsWritten}`)
})
