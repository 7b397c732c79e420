/**
 * Business dates lie between 1900-01-01 and 2100-12-31 (docs/domain.md, "Events"; issue: dates
 * 0000-9999 were accepted). The one date schema (events/common.ts BusinessDate) refuses others
 * with a message that says the range, in event data, imports and the asOf of every read.
 */
import t from 'tap'
import { BusinessDate } from '../../events'
import { harness } from '../support/harness'
import { application, cohort, expectStatus, setUp } from '../support/scenario'

const RANGE = 'a business date lies between 1900-01-01 and 2100-12-31'
const OUTSIDE = ['0000-01-01', '0001-01-01', '1899-12-31', '2101-01-01', '9999-12-31']
const BOUNDS = ['1900-01-01', '2100-12-31']

t.test('the schema: the range\'s bounds pass, dates outside it are refused with the range in the message', async (t) => {
  for (const date of BOUNDS) t.ok(BusinessDate.safeParse(date).success, date)
  for (const date of OUTSIDE) {
    const result = BusinessDate.safeParse(date)
    t.same(result.error?.issues.map((i) => i.message), [RANGE], date)
  }
  t.same(BusinessDate.safeParse('2025-02-30').error?.issues.map((i) => i.message), ['not a calendar date'], 'one message for a date that is no date')
})

t.test('event data: 400 validation naming the field and the range', async (t) => {
  const h = await harness(t)
  await setUp(h)
  for (const date of OUTSIDE) {
    const res = await h.call('op1', { method: 'POST', url: '/v1/learners/L-1/events', payload: application('AB1', 'OP-1', { submittedOn: date }) })
    t.equal(res.statusCode, 400, `submittedOn ${date}`)
    t.match(res.json(), { statusCode: 400, code: 'validation', message: `invalid body: data.submittedOn: ${RANGE}` })
    const opened = await h.call('admin', { method: 'POST', url: '/v1/cohorts', payload: cohort('C-9', 'OP-1', { endDate: date }) })
    t.equal(opened.statusCode, 400, `endDate ${date}`)
    t.match(opened.json(), { code: 'validation', message: new RegExp(RANGE) })
  }
  t.equal(h.ledger.runner.position, 4, 'nothing written beyond the set-up')
  await expectStatus(h, 'op1', 'POST', '/v1/learners/L-1/events', application('AB1', 'OP-1', { submittedOn: '2100-12-31' }), 201)
  await expectStatus(h, 'op1', 'POST', '/v1/learners/L-2/events', application('AB2', 'OP-1', { submittedOn: '1900-01-01' }), 201)
})

t.test('an import row with such a date is one rejected row', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const row = { learnerId: 'L-1', ...application('AB1', 'OP-1', { submittedOn: '9999-12-31' }) }
  const res = await h.call('op1', {
    method: 'POST', url: '/v1/imports?dryRun=true', payload: JSON.stringify(row), headers: { 'content-type': 'application/x-ndjson' },
  })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { rows: [{ line: 1, status: 'rejected', code: 'validation', message: new RegExp(`submittedOn: ${RANGE}`) }] })
})

t.test('asOf of every read: 400 outside the range, answered at its bounds', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const reads = (asOf: string) => [
    { as: 'viewer' as const, method: 'GET' as const, url: `/v1/indicators/insertion?groupBy=programme&asOf=${asOf}` },
    { as: 'auditor' as const, method: 'GET' as const, url: `/v1/audit/explain/insertion?groupBy=programme&asOf=${asOf}` },
    { as: 'auditor' as const, method: 'POST' as const, url: '/v1/audit/replay', payload: { asOf } },
  ]
  for (const date of OUTSIDE) {
    for (const read of reads(date)) {
      const res = await h.call(read.as, { method: read.method, url: read.url, payload: read.payload })
      t.equal(res.statusCode, 400, `${read.method} ${read.url} ${JSON.stringify(read.payload ?? '')}`)
      t.match(res.json(), { statusCode: 400, code: 'validation', message: new RegExp(`asOf: ${RANGE}`) })
    }
    const report = await h.call('auditor', { method: 'POST', url: '/v1/reports', payload: { reportId: 'R-1', definition: 'insertion-180d-v1', groupBy: 'programme', asOf: date } })
    t.equal(report.statusCode, 400, `a report as of ${date}`)
  }
  for (const date of BOUNDS) {
    for (const read of reads(date)) {
      const res = await h.call(read.as, { method: read.method, url: read.url, payload: read.payload })
      t.equal(res.statusCode, 200, `${read.method} ${read.url} as of ${date}`)
    }
  }
})
