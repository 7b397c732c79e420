import t from 'tap'
import { application, enrolled, expectStatus, screened, setUp } from '../support/scenario'
import type { KeyName } from '../support/harness'
import { isLearnerDataRoute } from '../../src/http/plugins/access-log'
import { loggedHarness } from './support'

const accessLines = (logs: Array<Record<string, unknown>>) => logs.filter((l) => l.audit === 'learner-data-access')

t.test('auditor and admin reads of learner-level data are logged with who, what and when', async (t) => {
  const h = await loggedHarness(t)
  await setUp(h)
  await expectStatus(h, 'op1', 'POST', '/v1/learners/L-1/events', { events: [application('AB123456'), screened(), enrolled()] }, 201)

  const reads: Array<{ url: string; method?: 'GET' | 'POST'; route: string; ids: Record<string, string>; status: number }> = [
    { url: '/v1/learners/L-1', route: '/v1/learners/:learnerId', ids: { learnerId: 'L-1' }, status: 200 },
    { url: '/v1/learners/L-1/events', route: '/v1/learners/:learnerId/events', ids: { learnerId: 'L-1' }, status: 200 },
    { url: '/v1/learners/L-404', route: '/v1/learners/:learnerId', ids: { learnerId: 'L-404' }, status: 404 },
    { url: '/v1/cohorts/C-1/roster', route: '/v1/cohorts/:cohortId/roster', ids: { cohortId: 'C-1' }, status: 200 },
    { url: '/v1/audit/events', route: '/v1/audit/events', ids: {}, status: 200 },
    { url: '/v1/audit/verify', route: '/v1/audit/verify', ids: {}, status: 200 },
    { url: '/v1/audit/explain/insertion', route: '/v1/audit/explain/insertion', ids: {}, status: 200 },
  ]
  for (const as of ['auditor', 'admin'] as const) {
    for (const read of reads) {
      const before = new Date().toISOString()
      const start = h.logs.length
      const res = await h.call(as, { method: read.method ?? 'GET', url: read.url })
      t.equal(res.statusCode, read.status, `${as} ${read.url}`)
      const lines = accessLines(h.logs.slice(start))
      t.equal(lines.length, 1, `${as} ${read.url}: one access line`)
      const line = lines[0]
      t.match(line, {
        level: 30, audit: 'learner-data-access', keyId: as, role: as, method: 'GET', route: read.route,
        statusCode: read.status, ...read.ids,
      }, `${as} ${read.url}: who, what`)
      t.ok(typeof line.at === 'string' && line.at >= before, `${as} ${read.url}: when`)
      t.ok(typeof line.reqId === 'string', 'the line carries the request id')
      // Ids only: the answer's personal attributes never reach the log.
      t.notMatch(JSON.stringify(line), /female|bac\+2|AB123456/, 'no learner data in the line')
    }
  }
})

t.test('operators, viewers, anonymous callers and non-learner routes leave no access line', async (t) => {
  const h = await loggedHarness(t)
  await setUp(h)
  await expectStatus(h, 'op1', 'POST', '/v1/learners/L-1/events', application('AB123456'), 201)
  const tries: Array<[KeyName | null, string]> = [
    ['op1', '/v1/learners/L-1'], ['op1', '/v1/cohorts/C-1/roster'], ['viewer', '/v1/learners/L-1'],
    [null, '/v1/learners/L-1'], ['admin', '/v1/cohorts'], ['auditor', '/v1/indicators/insertion'], ['admin', '/health/live'],
  ]
  for (const [as, url] of tries) await h.call(as, { method: 'GET', url })
  t.same(accessLines(h.logs), [], 'nothing logged as learner-data access')
  // A write by an admin is not a read of learner data.
  await expectStatus(h, 'admin', 'POST', '/v1/learners/L-1/events', screened(), 201)
  t.same(accessLines(h.logs), [])
  // A refused read by an auditor is still an attempt, and is logged with its status.
  const res = await h.call('auditor', { method: 'GET', url: '/v1/learners/L-1?minPosition=abc' })
  t.equal(res.statusCode, 400)
  t.match(accessLines(h.logs), [{ keyId: 'auditor', learnerId: 'L-1', statusCode: 400 }])
})

t.test('isLearnerDataRoute names the learner-level routes', async (t) => {
  t.ok(isLearnerDataRoute('GET', '/v1/learners/:learnerId'))
  t.ok(isLearnerDataRoute('GET', '/v1/learners/:learnerId/events'))
  t.ok(isLearnerDataRoute('GET', '/v1/cohorts/:cohortId/roster'))
  t.ok(isLearnerDataRoute('POST', '/v1/audit/replay'))
  t.notOk(isLearnerDataRoute('POST', '/v1/learners/:learnerId/events'))
  t.notOk(isLearnerDataRoute('GET', '/v1/cohorts'))
  t.notOk(isLearnerDataRoute('GET', '/v1/indicators/insertion'))
  t.notOk(isLearnerDataRoute('GET', undefined))
})
