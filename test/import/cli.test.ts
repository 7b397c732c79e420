import t from 'tap'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { harness, type Harness } from '../support/harness'
import { setUp } from '../support/scenario'
import { derivedEventId } from '../../src/write/import'
import { openLedger } from '../../src/cli/context'
import { runImportCommand, parseImportArgs } from '../../src/cli/import'
import { loadConfig } from '../../src/config'
import { ndjson, path, row, screened } from './support'

function capture() {
  let text = ''
  return { isTTY: false, write: (s: string) => { text += s }, get text() { return text } }
}

/** Runs the command against the harness's ledger; `opened` says whether it got that far. */
async function run(h: Harness, args: string[]) {
  const out = capture()
  const err = capture()
  let opened = 0
  const code = await runImportCommand(args, async () => {
    opened++
    return { commands: h.ledger.commands, importEventId: h.ledger.importEventId, close: async () => {} }
  }, out, err)
  return { code, out: out.text, err: err.text, opened }
}

t.test('import FILE --report out.csv: per-row report, summary on stdout, exit 1 when a row is rejected', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const dir = t.testdir()
  const file = join(dir, 'sheet.ndjson')
  writeFileSync(file, ndjson([...path('L-1', 'N1'), row('L-2', screened()), '{oops']))
  const report = join(dir, 'report.csv')
  const first = await run(h, [file, '--report', report])
  t.equal(first.code, 1)
  t.same(JSON.parse(first.out), { file, dryRun: false, rows: 5, accepted: 3, rejected: 2, duplicate: 0, report })
  const lines = readFileSync(report, 'utf8').trim().split('\r\n')
  t.equal(lines[0], 'line,status,code,message,eventId')
  t.match(lines[1], /^1,accepted,,,[0-9a-f-]{36}$/)
  t.match(lines[4], /^4,rejected,no-application,"a screening needs an application first/, 'rules hold for the admin CLI too')
  t.match(lines[5], /^5,rejected,invalid-json,/)
  const events = (await h.call('admin', { method: 'GET', url: '/v1/learners/L-1/events' })).json()
  t.same(events[0].metadata.actor, { keyId: 'cli', role: 'admin' }, 'written as the CLI actor')

  const jsonReport = join(dir, 'report.json')
  const again = await run(h, [file, '--report', jsonReport])
  t.equal(again.code, 1)
  const parsed = JSON.parse(readFileSync(jsonReport, 'utf8'))
  t.match(parsed, { accepted: 0, rejected: 2, duplicate: 3, dryRun: false })
  t.same(parsed.rows.map((r: { status: string }) => r.status), ['duplicate', 'duplicate', 'duplicate', 'rejected', 'rejected'])
})

t.test('a CSV with --type, dry run first: exit 0, nothing written; without --report rejected rows go to stderr', async (t) => {
  const h = await harness(t)
  await setUp(h)
  await h.call('admin', { method: 'POST', url: '/v1/imports', payload: ndjson([...path('L-1', 'N1').slice(0, 2)]), headers: { 'content-type': 'application/x-ndjson' } })
  const dir = t.testdir()
  const file = join(dir, 'enrolments.csv')
  writeFileSync(file, '\ufefflearnerId;cohortId;enrolledOn\r\nL-1;C-1;2025-01-06\r\n')
  const position = h.ledger.runner.position
  const dry = await run(h, [file, '--type', 'LearnerEnrolled', '--dry-run'])
  t.equal(dry.code, 0)
  t.match(JSON.parse(dry.out), { dryRun: true, rows: 1, accepted: 1 })
  t.equal(h.ledger.runner.position, position, 'a dry run writes nothing')
  const real = await run(h, [file, '--type', 'LearnerEnrolled'])
  t.equal(real.code, 0)
  t.match(JSON.parse(real.out), { dryRun: false, accepted: 1 })
  t.equal(h.ledger.runner.position, position + 1)

  const bad = join(dir, 'bad.csv')
  writeFileSync(bad, 'learnerId,cohortId,enrolledOn\nL-9,C-1,2025-01-06\nL-1,C-1\n')
  const rejected = await run(h, [bad, '--type', 'LearnerEnrolled'])
  t.equal(rejected.code, 1)
  t.match(rejected.err, /^line 2: no-application: .*\nline 3: ragged-row: the row has 2 cells; the header has 3\n$/)
})

t.test('bad arguments or a refused file: exit 2, the ledger is not even opened', async (t) => {
  const h = await harness(t)
  const dir = t.testdir()
  const csv = join(dir, 'x.csv')
  writeFileSync(csv, 'learnerId,decision,screenedOn\nL-1,accepted,2024-12-15\n')
  const latin1 = join(dir, 'latin1.ndjson')
  writeFileSync(latin1, Buffer.from([0x7b, 0xe9, 0x7d, 0x0a]))
  const cases: Array<[string[], RegExp]> = [
    [[], /name one FILE/],
    [[csv, csv], /name one FILE/],
    [[csv], /a CSV file needs --type/],
    [[csv, '--type', 'Nope'], /not a learner event type/],
    [[latin1, '--type', 'ApplicationScreened'], /--type is for CSV files/],
    [[csv, '--type', 'ApplicationScreened', '--report', 'out.txt'], /--report names a .csv or .json file/],
    [[csv, '--type', 'ApplicationScreened', '--bogus'], /Unknown option '--bogus'/],
    [[join(dir, 'missing.csv'), '--type', 'ApplicationScreened'], /ENOENT/],
    [[latin1], /invalid-encoding: the file is not valid UTF-8/],
    [[csv, '--type', 'LearnerEnrolled'], /unknown-column: column "decision" is not a field of LearnerEnrolled/],
    [[csv, '--type', 'ApplicationScreened', '--report', join(dir, 'no-such-dir', 'r.csv')], /cannot write the report/],
  ]
  for (const [args, message] of cases) {
    const result = await run(h, args)
    t.equal(result.code, 2, args.join(' '))
    t.match(result.err, message)
    t.equal(result.opened, 0)
    t.equal(result.out, '')
  }
})

t.test('the file type comes from the extension, or --type', async (t) => {
  t.match(parseImportArgs(['a.jsonl']), { format: { kind: 'ndjson' }, dryRun: false })
  t.match(parseImportArgs(['a.NDJSON', '--dry-run']), { format: { kind: 'ndjson' }, dryRun: true })
  t.match(parseImportArgs(['export.txt']), { format: { kind: 'ndjson' } })
  t.match(parseImportArgs(['export.txt', '--type', 'PlacementEnded']), { format: { kind: 'csv', type: 'PlacementEnded' } })
  t.match(parseImportArgs(['a.csv', '--type', 'PlacementEnded', '--report', 'r.JSON']), { report: { path: 'r.JSON', kind: 'json' } })
})

t.test("the command line derives eventIds under the ledger's pepper, as the service does", async (t) => {
  const pepper = 'cli-pepper-cli-pepper-cli-pepper-cli-pepper'
  const ledger = await openLedger(loadConfig({ LEDGER_DATA_DIR: t.testdir(), LEDGER_PEPPER: pepper, LOG_LEVEL: 'silent' }))
  t.teardown(() => ledger.close())
  const data = { decision: 'accepted', screenedOn: '2024-12-15' }
  t.equal(ledger.importEventId?.('L-1', 'ApplicationScreened', data), derivedEventId(Buffer.from(pepper), 'L-1', 'ApplicationScreened', data))
})
