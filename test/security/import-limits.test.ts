/**
 * Imports are bounded (issue, medium: six 64 MiB dry runs at once took 4.3 GB and held the health
 * probes for seconds; 100,000 national ids were probed by dry runs with no key id logged): one
 * import at a time per key and a few in the service, rows counted against per-key budgets (dry
 * runs a smaller one), every refusal by the person rule logged with the key id, and the spooled
 * body kept owner-only in the data directory and shredded after.
 */
import t from 'tap'
import { readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { spoolDirOf } from '../../src/http/import-body'
import { harness, manualClock, type Harness, type KeyName } from '../support/harness'
import { application, screened, setUp } from '../support/scenario'
import { ndjson, postImport, row } from '../import/support'
import { loggedHarness } from './support'

/** A body the test sends when it chooses; `reading` resolves once the service starts reading it. */
function heldBody() {
  let started!: () => void
  const reading = new Promise<void>((resolve) => { started = resolve })
  const stream = new Readable({ read() { started() } })
  return { stream, reading, send(text: string) { stream.push(text); stream.push(null) } }
}

/** Starts an import whose body is held open: the key's import is running until `send`. */
async function runningImport(h: Harness, as: KeyName, query = '') {
  const body = heldBody()
  const answer = h.call(as, { method: 'POST', url: `/v1/imports${query}`, payload: body.stream, headers: { 'content-type': 'application/x-ndjson' } })
  await body.reading
  return { answer, send: body.send }
}

const screenings = (n: number, prefix = 'L') => ndjson(Array.from({ length: n }, (_, i) => row(`${prefix}-${i}`, screened())))

t.test('one running import per key, two in the service; the others are refused at once with Retry-After', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const first = await runningImport(h, 'op1')
  const same = await postImport(h, 'op1', screenings(1), 'application/x-ndjson', '?dryRun=true')
  t.equal(same.statusCode, 429)
  t.match(same.json(), { code: 'import-in-progress', message: /one import at a time/ })
  t.equal(same.headers['retry-after'], '10')
  const second = await runningImport(h, 'op2')
  const third = await postImport(h, 'admin', screenings(1), 'application/x-ndjson')
  t.equal(third.statusCode, 503)
  t.match(third.json(), { code: 'imports-busy' })
  t.equal(third.headers['retry-after'], '10')

  first.send(ndjson([row('L-1', application('AB1'))]))
  t.match((await first.answer).json(), { accepted: 1 })
  second.send(screenings(1, 'X'))
  t.equal((await second.answer).statusCode, 200)
  const after = await postImport(h, 'op1', screenings(1), 'application/x-ndjson')
  t.equal(after.statusCode, 200, 'the slots are free again once the answers are over')
})

t.test('a refused import frees its slot and its spool, refused before or after its rows are counted', async (t) => {
  const h = await harness(t, { env: { LEDGER_IMPORT_DRY_RUN_ROWS_PER_HOUR: '5' } })
  await setUp(h)
  const refusals: Array<[string | Buffer, string, number]> = [
    ['', '', 400],
    [Buffer.from([0x7b, 0xe9, 0x7d, 0x0a]), '', 400],
    [screenings(6), '?dryRun=true', 413],
  ]
  for (const [payload, query, status] of refusals) {
    t.equal((await postImport(h, 'op1', payload, 'application/x-ndjson', query)).statusCode, status)
    t.same(readdirSync(spoolDirOf(h.dataDir)), [], 'no spool is left')
  }
  t.equal((await postImport(h, 'op1', screenings(1), 'application/x-ndjson')).statusCode, 200, 'the slot is free')
})

t.test('rows count: a file may overdraw the per-minute budget once, then the key waits', async (t) => {
  const clock = manualClock()
  const h = await harness(t, { clock, env: { LEDGER_IMPORT_ROWS_PER_MINUTE: '60' } })
  await setUp(h)
  t.match((await postImport(h, 'op1', screenings(100), 'application/x-ndjson')).json(), { rejected: 100 }, 'a whole file goes through')
  const refused = await postImport(h, 'op1', screenings(1), 'application/x-ndjson')
  t.equal(refused.statusCode, 429)
  t.match(refused.json(), { code: 'import-rows-limit', message: /60 rows a minute/ })
  t.equal(refused.headers['retry-after'], '41', '40 rows over, at one a second, then one more')
  t.equal((await postImport(h, 'op2', screenings(1), 'application/x-ndjson')).statusCode, 200, 'another key has its own budget')
  clock.advance(41_000)
  t.equal((await postImport(h, 'op1', screenings(1), 'application/x-ndjson')).statusCode, 200)
})

t.test('dry runs: a smaller hourly budget, never overdrawn; a refused file is not charged', async (t) => {
  const clock = manualClock()
  const h = await harness(t, { clock, env: { LEDGER_IMPORT_DRY_RUN_ROWS_PER_HOUR: '10' } })
  await setUp(h)
  const dry = (n: number) => postImport(h, 'op1', screenings(n), 'application/x-ndjson', '?dryRun=true')
  const large = await dry(11)
  t.equal(large.statusCode, 413)
  t.match(large.json(), { code: 'dry-run-too-large', message: /at most 10 rows an hour per key and this file holds 11: split it, or import it for real/ })
  t.equal(large.headers['retry-after'], undefined, 'waiting would not help')
  t.equal((await dry(6)).statusCode, 200)
  const over = await dry(5)
  t.equal(over.statusCode, 429)
  t.match(over.json(), { code: 'dry-run-rows-limit', message: /holds 5 rows and this key may dry-run 4 more now/ })
  t.equal(over.headers['retry-after'], '360', 'one row more, at 10 an hour')
  t.equal((await dry(4)).statusCode, 200, 'the refused file was not charged')
  t.equal((await dry(1)).statusCode, 429)
  t.equal((await postImport(h, 'op1', screenings(20), 'application/x-ndjson')).statusCode, 200, 'real imports are not held by the dry-run budget')
  clock.advance(360_000)
  t.equal((await dry(1)).statusCode, 200)

  const off = await harness(t, { env: { LEDGER_IMPORT_DRY_RUN_ROWS_PER_HOUR: '0' } })
  await setUp(off)
  const refused = await postImport(off, 'op1', screenings(1), 'application/x-ndjson', '?dryRun=true')
  t.equal(refused.statusCode, 403)
  t.match(refused.json(), { code: 'dry-run-disabled' })
})

t.test('every refusal by the person rule is logged at warn with the key id, never the national id or its key', async (t) => {
  const h = await loggedHarness(t)
  await setUp(h)
  await postImport(h, 'op1', ndjson([row('L-1', application('AB123456'))]), 'application/x-ndjson')
  const probe = ndjson([row('L-2', application('AB123456')), row('L-3', application('ZZ999999')), row('L-4', application('ab-123.456'))])
  for (const query of ['?dryRun=true', '']) {
    const res = await postImport(h, 'op1', probe, 'application/x-ndjson', query)
    t.same(res.json().rows.map((r: { code?: string }) => r.code), ['person-has-active-record', undefined, 'person-has-active-record'])
  }
  const refusals = h.logs.filter((l) => l.audit === 'import-person-refused')
  t.same(refusals.map((l) => [l.level, l.keyId, l.code, l.dryRun, l.learnerId, l.line]), [
    [40, 'op1', 'person-has-active-record', true, 'L-2', 1], [40, 'op1', 'person-has-active-record', true, 'L-4', 3],
    [40, 'op1', 'person-has-active-record', false, 'L-2', 1], [40, 'op1', 'person-has-active-record', false, 'L-4', 3],
  ])
  t.ok(refusals.every((l) => typeof l.reqId === 'string'), 'each tied to its request')
  const text = JSON.stringify(refusals)
  t.notMatch(text, /AB123456|ab-123\.456|ZZ999999/, 'no national id')
  t.notMatch(text, /[0-9a-f]{64}/, 'no personKey')
  const summaries = h.logs.filter((l) => l.audit === 'import')
  t.match(summaries.slice(-2), [
    { keyId: 'op1', dryRun: true, rows: 3, accepted: 1, rejected: 2, personRefused: 2 },
    { keyId: 'op1', dryRun: false, rows: 3, accepted: 1, rejected: 2, personRefused: 2 },
  ], 'one line an import, with its totals')
})

t.test('the body is spooled owner-only in the data directory, and gone once the answer is', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const dir = spoolDirOf(h.dataDir)
  const running = await runningImport(h, 'op1')
  const [name] = readdirSync(dir)
  t.match(name, /^[0-9a-f-]{36}\.spool$/)
  t.equal(statSync(dir).mode & 0o777, 0o700)
  t.equal(statSync(join(dir, name)).mode & 0o777, 0o600)
  running.send(ndjson([row('L-1', application('AB123456'))]))
  t.equal((await running.answer).statusCode, 200)
  t.same(readdirSync(dir), [])
})

t.test('a spool a killed process left is shredded by a later import once a day old, by the file system clock', async (t) => {
  const h = await harness(t)
  await setUp(h)
  await postImport(h, 'op1', screenings(1), 'application/x-ndjson')
  const dir = spoolDirOf(h.dataDir)
  const stale = join(dir, '00000000-0000-4000-8000-000000000000.spool')
  const recent = join(dir, '00000000-0000-4000-8000-000000000001.spool')
  for (const file of [stale, recent]) writeFileSync(file, ndjson([row('L-9', application('AB999999'))]), { mode: 0o600 })
  const now = statSync(recent).mtime
  const dayAndAMinute = new Date(now.getTime() - 24 * 3_600_000 - 60_000)
  utimesSync(stale, dayAndAMinute, dayAndAMinute)
  await postImport(h, 'op1', screenings(1), 'application/x-ndjson')
  t.same(readdirSync(dir), ['00000000-0000-4000-8000-000000000001.spool'], 'the recent one may be another process\'s, still running')
})
