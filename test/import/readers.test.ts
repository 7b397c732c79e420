import t from 'tap'
import { checkImport, csvReport, dataColumns, derivedEventId, jsonReport, readImport, type ImportItem, type RowResult } from '../../src/write/import'
import { decodeUtf8, splitLines } from '../../src/write/import/decode'
import { LedgerError } from '../../src/errors'

async function* chunks(...parts: Array<string | number[]>) {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p, 'utf8') : Uint8Array.from(p)
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const i of items) out.push(i)
  return out
}

t.test('UTF-8 is decoded across chunk boundaries; a BOM is dropped; invalid bytes name their line', async (t) => {
  const e = Buffer.from('é', 'utf8')
  t.equal((await all(decodeUtf8(chunks([0xef, 0xbb, 0xbf], 'a', [e[0]], [e[1]], 'b')))).join(''), 'aéb')
  const error = await all(decodeUtf8(chunks('line one\nline two\n', 'three ', [0xc3, 0x28], '\n'))).catch((err: unknown) => err)
  t.ok(error instanceof LedgerError)
  t.match(error, { statusCode: 400, code: 'invalid-encoding', message: /line 3/ })
  await t.rejects(all(decodeUtf8(chunks('ok', [0xe2, 0x82]))), { code: 'invalid-encoding' }, 'a sequence cut off at the end')
})

t.test('lines: LF or CRLF, a last line without newline, over-long lines reported not held', async (t) => {
  async function* texts(...parts: string[]) { yield* parts }
  t.same(await all(splitLines(texts('a\r\nb', 'c\n\nd'), 10)), [
    { line: 1, text: 'a' }, { line: 2, text: 'bc' }, { line: 3, text: '' }, { line: 4, text: 'd' },
  ])
  t.same(await all(splitLines(texts('short\n', 'x'.repeat(6), 'y'.repeat(6), 'z\nok\n'), 10)), [
    { line: 1, text: 'short' }, { line: 2, text: '', tooLong: true }, { line: 3, text: 'ok' },
  ])
  t.same(await all(splitLines(texts('0123456789AB\nok'), 10)), [{ line: 1, text: '', tooLong: true }, { line: 2, text: 'ok' }])
})

t.test('CSV columns come from the schema: dotted nested fields, kinds, what is required', async (t) => {
  const columns = dataColumns('PlacementRecorded')
  t.same(columns.map((c) => `${c.name}:${c.kind}${c.required ? '' : '?'}`), [
    'placementId:string', 'employer.name:string', 'employer.legalId:string?', 'sector:string', 'jobTitle:string',
    'contractType:string', 'startDate:string', 'monthlySalaryMad:number?', 'region:string', 'evidence.kind:string', 'evidence.sha256:string',
  ])
  t.same(dataColumns('FollowUpRecorded').map((c) => c.kind), ['number', 'string', 'string'], 'monthsAfterCompletion 3|6|12 reads as a number')
  t.same(dataColumns('TrainingCompleted').find((c) => c.name === 'certified')?.kind, 'boolean')
})

t.test('a CSV row and the same NDJSON row are the same item', async (t) => {
  const csv = 'learnerId,monthsAfterCompletion,status,surveyedOn\nL-1,6,employed,2025-11-02\n'
  const ndjson = '{"learnerId":"L-1","type":"FollowUpRecorded","data":{"monthsAfterCompletion":6,"status":"employed","surveyedOn":"2025-11-02"}}\n'
  const [fromCsv] = await all(readImport({ kind: 'csv', type: 'FollowUpRecorded' }, chunks(csv)))
  const [fromNdjson] = await all(readImport({ kind: 'ndjson' }, chunks(ndjson)))
  t.same({ ...fromCsv, line: 0 }, { ...fromNdjson, line: 0 })
  const key = Buffer.from('pepper-pepper-pepper-pepper-pepper-32')
  const data = (row: ImportItem) => (row as Extract<ImportItem, { data: unknown }>).data
  t.equal(derivedEventId(key, 'L-1', 'FollowUpRecorded', data(fromCsv)), derivedEventId(key, 'L-1', 'FollowUpRecorded', data(fromNdjson)),
    'so a row sent as CSV or as NDJSON derives the same eventId')
})

t.test('the check counts rows and refuses what no row survives', async (t) => {
  t.same(await checkImport({ kind: 'ndjson' }, chunks('{}\n\nnot json\n')), { rows: 2 }, 'bad lines are rows (rejected later), blank ones are not')
  await t.rejects(checkImport({ kind: 'ndjson' }, chunks('\r\n \n')), { code: 'empty-import' })
  t.same(await checkImport({ kind: 'csv', type: 'LearnerEnrolled' }, chunks('learnerId;cohortId;enrolledOn\nL-1;C-1\n')), { rows: 1 }, 'a ragged row is a row')
  await t.rejects(checkImport({ kind: 'csv', type: 'LearnerEnrolled' }, chunks('learnerId,cohortId,enrolledOn,x\n')), { code: 'unknown-column' })
})

t.test('reports: JSON closes with the totals; CSV quotes what needs it', async (t) => {
  const results: RowResult[] = [
    { line: 2, status: 'accepted', eventId: 'e1' },
    { line: 3, status: 'rejected', code: 'validation', message: 'a, "b"\nc' },
    { line: 4, status: 'duplicate', eventId: 'e2' },
  ]
  async function* rows() { yield* results }
  const json = JSON.parse((await all(jsonReport(rows(), () => ({ dryRun: true })))).join(''))
  t.same(json, { rows: results, accepted: 1, rejected: 1, duplicate: 1, dryRun: true })
  const csv = (await all(csvReport(rows()))).join('')
  t.equal(csv, 'line,status,code,message,eventId\r\n2,accepted,,,e1\r\n3,rejected,validation,"a, ""b""\nc",\r\n4,duplicate,,,e2\r\n')
  t.same(JSON.parse((await all(jsonReport((async function* () {})()))).join('')), { rows: [], accepted: 0, rejected: 0, duplicate: 0 })
})

t.test('each row is checked once, by its reader: bad data is a rejected row; good data reaches the commands as its schema reads it', async (t) => {
  const ndjson = [
    '{"learnerId":"L-1","type":"LearnerEnrolled","data":{"cohortId":"C-1","enrolledOn":"2025-02-30x"}}',
    '{"learnerId":"L-1","type":"ApplicationScreened","data":{"decision":"accepted","screenedOn":"2025-01-02","reason":"  strong file  "}}',
  ].join('\n')
  const [bad, good] = await all(readImport({ kind: 'ndjson' }, chunks(ndjson)))
  t.match(bad, { line: 1, code: 'validation', message: /^LearnerEnrolled data is not valid: enrolledOn/ })
  t.match(good, { line: 2, learnerId: 'L-1', type: 'ApplicationScreened', data: { reason: 'strong file' } })
  t.same((good as Extract<ImportItem, { sent: unknown }>).sent.reason, '  strong file  ', 'a derived eventId is keyed on the data as sent')
  const csv = 'learnerId;cohortId;enrolledOn\nL-1;C-1;yesterday\n'
  const [fromCsv] = await all(readImport({ kind: 'csv', type: 'LearnerEnrolled' }, chunks(csv)))
  t.match(fromCsv, { line: 2, code: 'validation', message: /^LearnerEnrolled data is not valid: enrolledOn/ })
})
