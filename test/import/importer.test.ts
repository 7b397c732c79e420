import t from 'tap'
import type { Actor } from '../../events'
import { createDryRun, importRows, keyedEventIds, type ImportItem, type ImportOptions, type RowResult } from '../../src/write/import'
import type { Commands, LearnerEventInput } from '../../src/write/types'
import { badRequest, LedgerError, RuleViolation } from '../../src/errors'
import type { LearnerRow, RowOutcome } from '../../src/write/row-batches'
import type { AppendResult } from '../../src/store/types'

const ACTOR: Actor = { keyId: 'op1', role: 'operator', operatorId: 'OP-1' }
const eventIdOf = keyedEventIds(Buffer.from('pepper-pepper-pepper-pepper-pepper-32'))
const dry = (extra: Partial<ImportOptions> = {}): ImportOptions => ({ dryRun: true, eventIdOf, ...extra })
const real = (extra: Partial<ImportOptions> = {}): ImportOptions => ({ dryRun: false, eventIdOf, ...extra })

interface Call {
  learnerId: string
  event: LearnerEventInput
  settle(outcome: { duplicate?: boolean; error?: unknown }): void
}

/** Commands whose appends wait until the test settles them, so the test decides the timing. */
function pendingCommands() {
  const calls: Call[] = []
  const waiters: Array<() => void> = []
  const commands = {
    newDryRun: () => createDryRun(),
    appendLearnerEvents(_actor: Actor, learnerId: string, events: LearnerEventInput[]) {
      return new Promise<AppendResult>((resolve, reject) => {
        calls.push({
          learnerId,
          event: events[0],
          settle: ({ duplicate = false, error }) => {
            if (error !== undefined) return reject(error)
            resolve({ streamId: `learner-${learnerId}`, streamRevision: 0, position: 1, events: [], duplicate })
          },
        })
        waiters.splice(0).forEach((w) => w())
      })
    },
  } as unknown as Commands
  /** Resolves once `n` calls have started. */
  const started = (n: number) => new Promise<void>((resolve) => {
    const check = () => (calls.length >= n ? resolve() : waiters.push(check))
    check()
  })
  return { commands, calls, started }
}

const item = (line: number, learnerId: string, screenedOn = '2024-12-15'): ImportItem =>
  ({ line, learnerId, type: 'ApplicationScreened', data: { decision: 'accepted', screenedOn }, sent: { decision: 'accepted', screenedOn } })

async function* from(items: ImportItem[]) {
  yield* items
}

async function collect(results: AsyncIterable<RowResult>): Promise<RowResult[]> {
  const out: RowResult[] = []
  for await (const r of results) out.push(r)
  return out
}

t.test('dry run: rows of different learners run side by side; one learner\'s wait for each other; results in line order', async (t) => {
  const { commands, calls, started } = pendingCommands()
  const done = collect(importRows(from([item(1, 'A'), item(2, 'B'), item(3, 'A', '2024-12-16'), item(4, 'C')]), commands, ACTOR, dry()))
  await started(3)
  t.same(calls.map((c) => c.learnerId), ['A', 'B', 'C'], "A's second row waits for its first")
  calls[2].settle({})
  calls[1].settle({ duplicate: true })
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(calls.length, 3, 'still waiting for A')
  calls[0].settle({ error: new RuleViolation('not-accepted', 'no') })
  await started(4)
  t.equal(calls[3].learnerId, 'A')
  t.same(calls[3].event.data, { decision: 'accepted', screenedOn: '2024-12-16' })
  calls[3].settle({})
  const results = await done
  t.same(results.map((r) => [r.line, r.status, r.code]), [[1, 'rejected', 'not-accepted'], [2, 'duplicate', undefined], [3, 'accepted', undefined], [4, 'accepted', undefined]])
})

t.test('dry run: at most `concurrency` commands are in flight', async (t) => {
  const { commands, calls, started } = pendingCommands()
  const items = Array.from({ length: 10 }, (_, i) => item(i + 1, `L-${i}`))
  const done = collect(importRows(from(items), commands, ACTOR, dry({ concurrency: 3 })))
  await started(3)
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(calls.length, 3)
  for (let i = 0; i < 10; i++) {
    await started(i + 1)
    calls[i].settle({})
  }
  t.equal((await done).length, 10)
})

t.test('dry run: rows competing for a seat or a person are decided in file order', async (t) => {
  const { commands, calls, started } = pendingCommands()
  const enrol = (line: number, learnerId: string): ImportItem =>
    ({ line, learnerId, type: 'LearnerEnrolled', data: { cohortId: 'C-1', enrolledOn: '2025-01-06' }, sent: { cohortId: 'C-1', enrolledOn: '2025-01-06' } })
  // A fake command reads only what orders the rows: the national id.
  const apply = (line: number, learnerId: string, nationalId: string): ImportItem =>
    ({ line, learnerId, type: 'ApplicationSubmitted', data: { nationalId } as never, sent: { nationalId } })
  const done = collect(importRows(from([enrol(1, 'A'), enrol(2, 'B'), apply(3, 'C', 'ab-12'), apply(4, 'D', ' AB.12 '), apply(5, 'E', 'XY')]), commands, ACTOR, dry()))
  await started(3)
  t.same(calls.map((c) => c.learnerId), ['A', 'C', 'E'], 'B waits for A (cohort C-1), D for C (same national id)')
  calls[0].settle({})
  calls[1].settle({})
  await started(5)
  t.same(calls.map((c) => c.learnerId), ['A', 'C', 'E', 'B', 'D'])
  calls.slice(2).forEach((c) => c.settle({}))
  t.equal((await done).length, 5)
})

t.test('dry run: row errors (bad data among them, found by the reader) pass through; a refusal carries its code and message; other failures end the import', async (t) => {
  const { commands, calls, started } = pendingCommands()
  const badData = { line: 4, code: 'validation', message: 'ApplicationScreened data is not valid: screenedOn: a date is YYYY-MM-DD' }
  const items: ImportItem[] = [{ line: 1, code: 'invalid-json', message: 'bad' }, item(2, 'A'), item(3, 'B'), badData]
  const done = collect(importRows(from(items), commands, ACTOR, dry()))
  await started(2)
  calls[0].settle({ error: new RuleViolation('not-accepted', 'enrolment needs an accepted screening') })
  calls[1].settle({})
  t.same(await done, [
    { line: 1, status: 'rejected', code: 'invalid-json', message: 'bad' },
    { line: 2, status: 'rejected', code: 'not-accepted', message: 'enrolment needs an accepted screening' },
    { line: 3, status: 'accepted', eventId: (await done)[2].eventId },
    { line: 4, status: 'rejected', code: 'validation', message: badData.message },
  ])
  t.equal(calls.length, 2, 'a row the reader rejected never reaches the commands')

  const broken = pendingCommands()
  const failing = collect(importRows(from([item(1, 'A'), item(2, 'B')]), broken.commands, ACTOR, dry()))
  await broken.started(2)
  broken.calls[1].settle({})
  broken.calls[0].settle({ error: new Error('disk on fire') })
  await t.rejects(failing, /disk on fire/)
})

/** Commands whose appendLearnerRows answers from `answer`, recording each chunk it is given. */
function chunkCommands(answer: (row: LearnerRow) => RowOutcome | Error) {
  const chunks: LearnerRow[][] = []
  const commands = {
    async appendLearnerRows(_actor: Actor, rows: LearnerRow[]) {
      chunks.push(rows)
      return rows.map((row) => {
        const outcome = answer(row)
        if (outcome instanceof Error && !(outcome instanceof LedgerError)) throw outcome
        return outcome
      })
    },
  } as unknown as Commands
  return { commands, chunks }
}

const accepted = (row: LearnerRow): AppendResult =>
  ({ streamId: `learner-${row.learnerId}`, streamRevision: 0, position: 1, events: [], duplicate: false })

t.test('a real import goes a chunk at a time, rows in file order, every row with a derived or its own eventId', async (t) => {
  const { commands, chunks } = chunkCommands(accepted)
  const items = Array.from({ length: 5 }, (_, i) => item(i + 1, `L-${i}`))
  const results = await collect(importRows(from(items), commands, ACTOR, real({ chunkRows: 2 })))
  t.same(chunks.map((c) => c.map((r) => r.learnerId)), [['L-0', 'L-1'], ['L-2', 'L-3'], ['L-4']])
  t.same(results.map((r) => [r.line, r.status]), [[1, 'accepted'], [2, 'accepted'], [3, 'accepted'], [4, 'accepted'], [5, 'accepted']])
  t.ok(chunks.flat().every((r, i) => r.eventId === results[i].eventId && typeof r.eventId === 'string'), 'the eventId sent is the one answered')
})

t.test('a real import: row errors pass through in place, refused rows carry code and message, other failures end it', async (t) => {
  const { commands } = chunkCommands((row) => {
    if (row.learnerId === 'A') return badRequest('a batch names the same eventId twice')
    if (row.learnerId === 'B') return new RuleViolation('not-accepted', 'no')
    return { ...accepted(row), duplicate: row.learnerId === 'C' }
  })
  const items: ImportItem[] = [item(1, 'A'), { line: 2, code: 'invalid-json', message: 'bad' }, item(3, 'B'), item(4, 'C'), item(5, 'D')]
  const results = await collect(importRows(from(items), commands, ACTOR, real({ chunkRows: 3 })))
  t.same(results.map((r) => [r.line, r.status, r.code, r.message]), [
    [1, 'rejected', 'validation', 'a batch names the same eventId twice'],
    [2, 'rejected', 'invalid-json', 'bad'],
    [3, 'rejected', 'not-accepted', 'no'],
    [4, 'duplicate', undefined, undefined],
    [5, 'accepted', undefined, undefined],
  ])
  const broken = chunkCommands(() => new Error('disk on fire'))
  await t.rejects(collect(importRows(from([item(1, 'A')]), broken.commands, ACTOR, real())), /disk on fire/)
})
