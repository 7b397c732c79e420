/**
 * What the importer owes the rest of the service: turns of the event loop while a large import
 * runs, a log line for every refusal by the person rule, and no derived eventId without a key.
 */
import t from 'tap'
import type { Actor } from '../../events'
import { createDryRun, importRows, keyedEventIds, type ImportItem, type RowResult } from '../../src/write/import'
import type { LearnerRow } from '../../src/write/row-batches'
import type { Commands, LearnerEventInput } from '../../src/write/types'
import { RuleViolation } from '../../src/errors'
import type { AppendResult } from '../../src/store/types'

const ACTOR: Actor = { keyId: 'op1', role: 'operator', operatorId: 'OP-1' }
const eventIdOf = keyedEventIds(Buffer.from('pepper-pepper-pepper-pepper-pepper-32'))

const PERSON = new RuleViolation('person-has-active-record', 'this person already holds an active record')

/**
 * Commands that answer at once, without ever leaving the event loop (as the embedded store
 * does), counting the rows decided; a row of learner `P-…` is refused by the person rule.
 */
function instantCommands() {
  const counter = { decided: 0 }
  const answer = (learnerId: string): AppendResult | RuleViolation => {
    counter.decided++
    if (learnerId.startsWith('P-')) return PERSON
    return { streamId: `learner-${learnerId}`, streamRevision: 0, position: 1, events: [], duplicate: false }
  }
  const commands = {
    newDryRun: () => createDryRun(),
    async appendLearnerEvents(_actor: Actor, learnerId: string, _events: LearnerEventInput[]) {
      const outcome = answer(learnerId)
      if (outcome instanceof RuleViolation) throw outcome
      return outcome
    },
    async appendLearnerRows(_actor: Actor, rows: LearnerRow[]) {
      return rows.map((row) => answer(row.learnerId))
    },
  } as unknown as Commands
  return { commands, counter }
}

const screening = (line: number, learnerId = `L-${line}`): ImportItem =>
  ({ line, learnerId, type: 'ApplicationScreened', data: { decision: 'accepted', screenedOn: '2024-12-15' }, sent: { decision: 'accepted', screenedOn: '2024-12-15' } })

/** Data a fake command reads as it is (these rows never reach a real check), as read and as sent. */
const sentAs = (data: Record<string, unknown>) => ({ data: data as never, sent: data })

async function* from(items: ImportItem[]) {
  yield* items
}

async function collect(results: AsyncIterable<RowResult>): Promise<RowResult[]> {
  const out: RowResult[] = []
  for await (const r of results) out.push(r)
  return out
}

/** Rows decided when a callback queued behind the event loop's I/O (a health probe's request) runs. */
const decidedAtNextTurn = (counter: { decided: number }) =>
  new Promise<number>((resolve) => setImmediate(() => resolve(counter.decided)))

t.test('a dry run lets the event loop turn every `dryRunChunkRows` rows, even when nothing it awaits does', async (t) => {
  const { commands, counter } = instantCommands()
  const items = Array.from({ length: 1000 }, (_, i) => screening(i + 1))
  const done = collect(importRows(from(items), commands, ACTOR, { dryRun: true, eventIdOf, dryRunChunkRows: 50 }))
  const first = await decidedAtNextTurn(counter)
  t.ok(first <= 50, `the loop turned after ${first} rows, not after all 1000`)
  const second = await decidedAtNextTurn(counter)
  t.ok(second > first && second <= first + 50, `and again ${second - first} rows later`)
  t.equal((await done).length, 1000)
  t.equal(counter.decided, 1000)
})

t.test('with the default, a dry run turns at least every 100 rows', async (t) => {
  const { commands, counter } = instantCommands()
  const done = collect(importRows(from(Array.from({ length: 500 }, (_, i) => screening(i + 1))), commands, ACTOR, { dryRun: true, eventIdOf }))
  t.ok(await decidedAtNextTurn(counter) <= 100)
  await done
})

t.test('a real import lets the event loop turn between chunks', async (t) => {
  const { commands, counter } = instantCommands()
  const items = Array.from({ length: 1000 }, (_, i) => screening(i + 1))
  const done = collect(importRows(from(items), commands, ACTOR, { dryRun: false, eventIdOf, chunkRows: 100 }))
  const turns: number[] = []
  for (let i = 0; i < 3; i++) turns.push(await decidedAtNextTurn(counter))
  t.ok(turns.every((n) => n % 100 === 0 && n < 1000), `the loop turned at chunk boundaries: ${turns.join(', ')}`)
  t.ok(turns[2] > turns[0])
  t.equal((await done).length, 1000)
})

t.test("every row the person rule refuses is logged with the caller's key id, nothing of the person", async (t) => {
  for (const dryRun of [true, false]) {
    const { commands } = instantCommands()
    const lines: Array<{ details: Record<string, unknown>; message: string }> = []
    const log = { warn: (details: object, message: string) => { lines.push({ details: details as Record<string, unknown>, message }) } }
    const application = (line: number, learnerId: string): ImportItem =>
      ({ line, learnerId, type: 'ApplicationSubmitted', ...sentAs({ operatorId: 'OP-1', nationalId: `AB${line}0000`, submittedOn: '2024-12-01' }) }) as ImportItem
    const items = [application(1, 'L-1'), application(2, 'P-2'), screening(3), application(4, 'P-4')]
    const results = await collect(importRows(from(items), commands, ACTOR, { dryRun, eventIdOf, log, correlationId: 'c-1' }))
    t.same(results.map((r) => r.code), [undefined, 'person-has-active-record', undefined, 'person-has-active-record'])
    t.same(lines.map((l) => l.details), [2, 4].map((line) => ({
      audit: 'import-person-refused', code: 'person-has-active-record', keyId: 'op1', role: 'operator',
      dryRun, line, learnerId: `P-${line}`, correlationId: 'c-1',
    })), `dry run ${dryRun}: one line a refusal`)
    t.ok(lines.every((l) => !/AB\d+0000/.test(JSON.stringify(l))), 'no national id in the lines')
  }
})

t.test('without a key, a row without eventId is rejected; a row with one goes through', async (t) => {
  for (const dryRun of [true, false]) {
    const { commands, counter } = instantCommands()
    const own = { ...screening(2), eventId: '5d2c1f6e-3b7a-4c8d-9e0f-1a2b3c4d5e6f' }
    const results = await collect(importRows(from([screening(1), own]), commands, ACTOR, { dryRun }))
    t.match(results, [
      { line: 1, status: 'rejected', code: 'event-id-required', message: /give the row an eventId/ },
      { line: 2, status: 'accepted', eventId: own.eventId },
    ], `dry run ${dryRun}`)
    t.equal(counter.decided, 1, 'the row without an id was never decided')
  }
})
