import t from 'tap'
import { upcast } from '../../events'
import { harness } from '../support/harness'
import { setUp } from '../support/scenario'
import { application, importCsv, importNdjson, learner, path, postImport, row } from './support'

const APPLICATIONS = [
  'learnerId,operatorId,nationalId,gender,birthYear,region,educationLevel,background,submittedOn',
  'L-1,OP-1,N1,female,2001,MA-06,bac+2,stem,2024-12-01',
  'L-2,OP-1,N2,male,1999,MA-01,bac+5,other,2024-12-02',
].join('\r\n')

/** A learner's events as the folds read them: personal fields are stored sealed (events/sealed.ts). */
const opened = async (h: Awaited<ReturnType<typeof harness>>, learnerId: string) =>
  (await h.ledger.store.readStream(`learner-${learnerId}`)).map((e) => upcast(e, h.ledger.personalData?.decryptor).data as Record<string, unknown>)

t.test('a CSV of one type lands: numbers converted, rows as the same events NDJSON would give', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const answer = await importCsv(h, 'op1', `${APPLICATIONS}\r\n`, 'ApplicationSubmitted')
  t.same(answer.rows.map((r) => [r.line, r.status]), [[2, 'accepted'], [3, 'accepted']], 'line 1 is the header')
  t.match(await learner(h, 'L-1'), { status: 'applied', operatorId: 'OP-1' })
  // The same row as NDJSON derives the same eventId: CSV cells become the same JSON values.
  const again = await importNdjson(h, 'op1', [row('L-1', application('N1'))])
  t.same(again.rows, [{ line: 1, status: 'duplicate', eventId: answer.rows[0].eventId }])
})

t.test("';' separators, a UTF-8 BOM, quoted cells, dotted nested columns, decimal commas", async (t) => {
  const h = await harness(t)
  await setUp(h)
  await importNdjson(h, 'op1', [...path('L-1', 'N1'), ...path('L-2', 'N2')])
  const sha = 'b'.repeat(64)
  const csv = '\ufeff' + [
    'learnerId;placementId;employer.name;employer.legalId;sector;jobTitle;contractType;startDate;monthlySalaryMad;region;evidence.kind;evidence.sha256',
    `L-1;P-1;"Atlas; Digital ""SARL""";;IT services;Développeuse;cdi;2025-06-02;9500,50;MA-06;contract;${sha}`,
    `L-2;P-1;Société Générale;ICE-1;Banking;"Analyste`,
    `données";cdd;2025-07-01;;MA-01;cnss-declaration;${sha}`,
  ].join('\n')
  const answer = await importCsv(h, 'op1', csv, 'PlacementRecorded')
  t.same(answer.rows.map((r) => [r.line, r.status, r.code]), [[2, 'accepted', undefined], [3, 'accepted', undefined]], 'a quoted cell over two lines: its row starts on line 3')
  const events = (await opened(h, 'L-1')).map((data) => ({ data }))
  t.same(events[3].data, {
    learnerId: 'L-1', placementId: 'P-1', employer: { name: 'Atlas; Digital "SARL"' }, sector: 'IT services', jobTitle: 'Développeuse',
    contractType: 'cdi', startDate: '2025-06-02', monthlySalaryMad: 9500.5, region: 'MA-06', evidence: { kind: 'contract', sha256: sha },
  }, 'an empty cell is an absent field; nested columns build objects')
  const second = (await opened(h, 'L-2'))[3]
  t.match(second, { employer: { name: 'Société Générale', legalId: 'ICE-1' }, jobTitle: 'Analyste\ndonnées' })
  t.notOk('monthlySalaryMad' in second)
})

t.test('booleans, optional numbers, a ragged row and cells of the wrong kind are judged row by row', async (t) => {
  const h = await harness(t)
  await setUp(h)
  await importNdjson(h, 'op1', [...path('L-1', 'N1'), ...path('L-2', 'N2'), ...path('L-3', 'N3')])
  const position = h.ledger.runner.position
  const csv = [
    'learnerId,cohortId,completedOn,certified,finalScore',
    'L-1,C-1,2025-05-02,TRUE,81.5',
    'L-2,C-1,2025-05-02,false',
    'L-3,C-1,2025-05-02,yes,',
    'L-3,C-1,2025-05-02,true,eighty',
    '',
    'L 4,C-1,2025-05-02,true,',
  ].join('\n')
  const answer = await importCsv(h, 'op1', csv, 'TrainingCompleted')
  t.match(answer.rows, [
    { line: 2, status: 'accepted' },
    { line: 3, status: 'rejected', code: 'ragged-row', message: 'the row has 4 cells; the header has 5' },
    { line: 4, status: 'rejected', code: 'validation', message: /certified/ },
    { line: 5, status: 'rejected', code: 'validation', message: /finalScore/ },
    { line: 7, status: 'rejected', code: 'validation', message: /learnerId "L 4" is not an id/ },
  ])
  t.equal(answer.rows.length, 5, 'the empty line is no row')
  t.equal(h.ledger.runner.position, position + 1)
  t.match(await learner(h, 'L-1'), { status: 'completed' })
  const data = (await opened(h, 'L-1'))[3]
  t.same([data.certified, data.finalScore], [true, 81.5])
})

t.test('a file whose header does not fit the type is refused whole, naming the column', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const position = h.ledger.runner.position
  const cases: Array<[string, string, RegExp]> = [
    ['learnerId,decision,screenedOn,score\nL-1,accepted,2024-12-15,3\n', 'unknown-column', /column "score" is not a field of ApplicationScreened; the columns of ApplicationScreened are learnerId, decision, reason \(optional\), screenedOn/],
    ['learnerId,decision,decision,screenedOn\nL-1,accepted,accepted,2024-12-15\n', 'duplicate-column', /"decision" appears twice/],
    ['learnerId,decision\nL-1,accepted\n', 'missing-column', /lacks the required column "screenedOn"/],
    ['decision,screenedOn\naccepted,2024-12-15\n', 'missing-column', /"learnerId"/],
    ['learnerId,decision,screenedOn\n', 'empty-import', /header but no rows/],
    ['learnerId,decision,screenedOn\n\n\n', 'empty-import', /header but no rows/],
    ['', 'empty-import', /empty/],
    ['\ufeff', 'empty-import', /empty/],
    ['learnerId,decision,screenedOn\nL-1,"accepted,2024-12-15\n', 'invalid-csv', /not valid CSV/],
    ['learnerId,decision,screenedOn\nL-1,acc"ep"ted,2024-12-15\n', 'invalid-csv', /not valid CSV/],
  ]
  for (const [csv, code, message] of cases) {
    const res = await postImport(h, 'op1', csv, 'text/csv', '?type=ApplicationScreened')
    t.equal(res.statusCode, 400, code)
    t.match(res.json(), { statusCode: 400, code, message })
  }
  // The header is checked before any row: an unknown column after valid rows still writes nothing.
  const late = `learnerId,operatorId,nationalId,gender,birthYear,region,educationLevel,background,submittedOn,notes\nL-9,OP-1,N9,female,2001,MA-06,bac,stem,2024-12-01,x\n`
  t.equal((await postImport(h, 'op1', late, 'text/csv', '?type=ApplicationSubmitted')).statusCode, 400)
  t.equal(h.ledger.runner.position, position, 'nothing was written')
})

t.test('a CSV import needs ?type, and NDJSON takes none', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const noType = await postImport(h, 'op1', APPLICATIONS, 'text/csv')
  t.equal(noType.statusCode, 400)
  t.match(noType.json(), { code: 'validation', message: /needs \?type=EventType/ })
  const badType = await postImport(h, 'op1', APPLICATIONS, 'text/csv', '?type=CohortOpened')
  t.equal(badType.statusCode, 400)
  const ndjsonType = await postImport(h, 'op1', '{}\n', 'application/x-ndjson', '?type=ApplicationScreened')
  t.equal(ndjsonType.statusCode, 400)
  t.match(ndjsonType.json(), { code: 'validation', message: /for CSV imports/ })
  t.equal(h.ledger.runner.position, 4, 'nothing was written')
})
