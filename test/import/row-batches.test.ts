/**
 * The import's batched write path (src/write/row-batches.ts) against the one-command-per-row path
 * it stands for: the same rows, in the same order, given to `appendLearnerRows` in one ledger and
 * to `appendLearnerEvents` one by one in another, must get the same answers and leave the same
 * streams. The rows are a simulated programme, shuffled in places (so rules refuse rows),
 * re-sent, altered, and with eventIds reused across learners (so the store refuses an append and
 * the batch falls back to single commands). Rows with bad data are refused by the one check every
 * import row gets before the commands (write/inputs.ts), on both paths alike.
 */
import t from 'tap'
import { join } from 'node:path'
import fc from 'fast-check'
import { createLedger, type Ledger } from '../../src/ledger'
import type { LearnerRow } from '../../src/write/row-batches'
import { checkLearnerEvent } from '../../src/write/inputs'
import { planProgramme, runSimulation } from '../../src/tools/simulate'
import { personKey } from '../../src/auth/pepper'
import { CLI_ACTOR } from '../../src/cli/context'
import { LedgerError } from '../../src/errors'
import { openSqliteStore } from '../../src/store/sqlite'

const PEPPER = Buffer.from('row-batches-test-pepper-row-batches')

async function ledgerIn(dir: string, name: string, setup: Parameters<typeof runSimulation>[1]): Promise<Ledger> {
  const ledger = createLedger({ store: openSqliteStore(join(dir, `${name}.db`)), personKey: (id) => personKey(PEPPER, id) })
  await ledger.start()
  await runSimulation(ledger.commands, setup)
  return ledger
}

type Answer = string

const answerOf = (outcome: unknown): Answer =>
  outcome instanceof LedgerError ? `rejected ${outcome.code}` : (outcome as { duplicate: boolean }).duplicate ? 'duplicate' : 'accepted'

async function streamsOf(ledger: Ledger, learnerIds: Iterable<string>) {
  const out: Record<string, Array<[string, string, unknown]>> = {}
  for (const id of learnerIds) {
    out[id] = (await ledger.store.readStream(`learner-${id}`)).map((e) => [e.eventId, e.type, e.data])
  }
  return out
}

/** Rows of a small programme, mixed up by `mix`: swaps, re-sends, altered re-sends, reused ids, bad data. */
function rowsOf(seed: number, mix: Array<{ at: number; kind: 'swap' | 'resend' | 'alter' | 'reuse' | 'bad' }>): LearnerRow[] {
  const plan = planProgramme({ learners: 24, seed })
  const rows: LearnerRow[] = plan.learnerPlans.flatMap((l) => l.steps.map((s) => ({ learnerId: l.learnerId, type: s.type, data: s.data, eventId: s.eventId })))
  for (const { at, kind } of mix) {
    const i = at % rows.length
    const j = (at * 7 + 3) % rows.length
    if (kind === 'swap') [rows[i], rows[j]] = [rows[j], rows[i]]
    if (kind === 'resend') rows.splice(j, 0, { ...rows[i] })
    if (kind === 'alter') {
      // The same eventId with another (valid) payload: that of another row of its type.
      const other = rows.find((r) => r.type === rows[i].type && JSON.stringify(r.data) !== JSON.stringify(rows[i].data))
      if (other !== undefined) rows.splice(j, 0, { ...rows[i], data: other.data })
    }
    if (kind === 'reuse') rows.splice(j, 0, { ...rows[j], eventId: rows[i].eventId })
    if (kind === 'bad') rows.splice(j, 0, { ...rows[i], eventId: undefined, data: { nonsense: true } })
  }
  return rows
}

t.test('batched rows get the answers, and leave the streams, that one command per row gives', async (t) => {
  const dir = t.testdir()
  let run = 0
  const kinds = fc.constantFrom('swap', 'resend', 'alter', 'reuse', 'bad') as fc.Arbitrary<'swap' | 'resend' | 'alter' | 'reuse' | 'bad'>
  const seen = new Map<string, number>()
  await fc.assert(fc.asyncProperty(
    fc.integer({ min: 1, max: 1000 }),
    fc.array(fc.record({ at: fc.nat(10_000), kind: kinds }), { maxLength: 12 }),
    fc.integer({ min: 1, max: 80 }),
    async (seed, mix, chunk) => {
      run++
      const plan = planProgramme({ learners: 24, seed })
      const setup = { ...plan, learners: 0, learnerPlans: [] }
      const batched = await ledgerIn(dir, `batched-${run}`, setup)
      const single = await ledgerIn(dir, `single-${run}`, setup)
      try {
        // Each row checked once, as the import readers do (write/inputs.ts): bad data is rejected
        // there and never reaches either path.
        const all = rowsOf(seed, mix)
        const checked = all.map((r) => checkLearnerEvent(r.type, r.data, r.eventId))
        const rows: LearnerRow[] = all.flatMap((r, i) => {
          const c = checked[i]
          return c.ok ? [{ ...c.event, learnerId: r.learnerId }] : []
        })
        const refused: Answer[] = checked.flatMap((c) => (c.ok ? [] : [`rejected ${c.code}`]))
        const answers: Answer[] = [...refused]
        for (let i = 0; i < rows.length; i += chunk) {
          const outcomes = await batched.commands.appendLearnerRows(CLI_ACTOR, rows.slice(i, i + chunk))
          answers.push(...outcomes.map(answerOf))
        }
        const expected: Answer[] = [...refused]
        for (const row of rows) {
          try {
            expected.push(answerOf(await single.commands.appendLearnerEvents(CLI_ACTOR, row.learnerId, [row])))
          } catch (error) {
            if (!(error instanceof LedgerError)) throw error
            expected.push(answerOf(error))
          }
        }
        t.same(answers, expected, `seed ${seed}, chunks of ${chunk}: the same answer for every row`)
        for (const a of answers) seen.set(a, (seen.get(a) ?? 0) + 1)
        const learners = new Set(rows.map((r) => r.learnerId))
        t.same(await streamsOf(batched, learners), await streamsOf(single, learners), 'the same streams')
        t.equal(batched.runner.position, await batched.store.headPosition(), 'the projections hold every batch')
      } finally {
        await batched.close()
        await single.close()
      }
    },
  ), { numRuns: 12, seed: 20261129 })
  // The mixes must have exercised what they are for.
  t.ok((seen.get('accepted') ?? 0) > 500, `accepted rows: ${seen.get('accepted')}`)
  t.ok((seen.get('duplicate') ?? 0) > 0, `duplicates: ${seen.get('duplicate')}`)
  t.ok([...seen.keys()].some((a) => a === 'rejected duplicate-event-id'), 'an eventId reused or altered was refused')
  t.ok([...seen.keys()].some((a) => a === 'rejected validation'), 'bad data was refused')
  t.ok([...seen.keys()].filter((a) => a.startsWith('rejected ')).length >= 3, `kinds of refusal: ${[...seen.keys()].join(', ')}`)
})

t.test('within one batch, the last seats of a cohort go to the rows first in order', async (t) => {
  const dir = t.testdir()
  const plan = planProgramme({ learners: 24, seed: 5 })
  const ledger = await ledgerIn(dir, 'seats', { ...plan, learners: 0, learnerPlans: [] })
  t.teardown(() => ledger.close())
  const cohort = plan.setup.find((s) => s.command === 'openCohort')
  if (cohort?.command !== 'openCohort') throw new Error('the plan opens no cohort')
  const { cohortId, operatorId, capacity, startDate } = cohort.input
  const learner = (n: number) => `SEAT-${n}`
  const rows: LearnerRow[] = []
  for (let n = 0; n < capacity + 2; n++) {
    rows.push({
      learnerId: learner(n), type: 'ApplicationSubmitted',
      data: { operatorId, nationalId: `SEAT${n}`, gender: 'female', birthYear: 2001, region: 'MA-01', educationLevel: 'bac', background: 'stem', submittedOn: '2024-01-02' },
    })
    rows.push({ learnerId: learner(n), type: 'ApplicationScreened', data: { decision: 'accepted', screenedOn: '2024-01-03' } })
  }
  for (let n = 0; n < capacity + 2; n++) rows.push({ learnerId: learner(n), type: 'LearnerEnrolled', data: { cohortId, enrolledOn: startDate } })
  const outcomes = await ledger.commands.appendLearnerRows(CLI_ACTOR, rows)
  const enrolments = outcomes.slice(2 * (capacity + 2)).map(answerOf)
  t.same(enrolments, [...Array(capacity).fill('accepted'), 'rejected cohort-full', 'rejected cohort-full'])
})
