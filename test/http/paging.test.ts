import t, { type Test } from 'tap'
import { harness, type Harness, type KeyName } from '../support/harness'
import { application, cohort, enrolled, expectStatus, placement, screened, setUp } from '../support/scenario'

/**
 * API4: every list answers a page at a time (limit default 100, max 1000; bad values 400), says
 * how to get the next page (`next` and a Link header, on JSON and CSV alike), and paging through
 * gives every item exactly once, in order.
 */
const get = (h: Harness, as: KeyName, url: string) => h.call(as, { method: 'GET', url })

/** Follows the Link headers from `url`; checks `next` against each Link; returns every page's items. */
async function pageThrough(t: Test, h: Harness, as: KeyName, url: string, items: (body: any) => Array<Record<string, unknown>>, cursor = 'after'): Promise<{ all: Array<Record<string, unknown>>; pages: number }> {
  const all: Array<Record<string, unknown>> = []
  let pages = 0
  let next: string | undefined = url
  while (next !== undefined) {
    const res = await get(h, as, next)
    t.equal(res.statusCode, 200, `${next}: ${res.body.slice(0, 200)}`)
    const body = res.json()
    all.push(...items(body))
    pages++
    const link = res.headers.link as string | undefined
    if (link === undefined) {
      if (!Array.isArray(body)) t.notOk('next' in body, 'the last page has no next')
      next = undefined
    } else {
      const m = /^<([^>]+)>; rel="next"$/.exec(link)
      t.ok(m, `a Link to the next page: ${link}`)
      if (!Array.isArray(body)) t.equal(new URL(m![1], 'http://x').searchParams.get(cursor), body.next, 'next and the Link agree')
      next = m![1]
    }
    if (pages > 50) throw new Error('paging does not end')
  }
  return { all, pages }
}

t.test('cohorts: default 100, limit and after, max 1000, every cohort once', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const ids = ['C-1', 'C-2']
  for (let i = 0; i < 118; i++) {
    const id = `K-${String(i).padStart(3, '0')}`
    await expectStatus(h, 'admin', 'POST', '/v1/cohorts', cohort(id, i % 3 === 0 ? 'OP-2' : 'OP-1'), 201)
    ids.push(id)
  }
  ids.sort()
  const first = await get(h, 'admin', '/v1/cohorts')
  t.equal(first.json().cohorts.length, 100, 'default page: 100')
  t.equal(first.json().next, ids[99])
  t.equal(first.headers.link, `</v1/cohorts?after=${ids[99]}>; rel="next"`)
  t.equal((await get(h, 'admin', '/v1/cohorts?limit=1000')).json().cohorts.length, 120, 'limit=1000: all of them')

  const paged = await pageThrough(t, h, 'admin', '/v1/cohorts?limit=7', (b) => b.cohorts)
  t.same(paged.all.map((c) => c.cohortId), ids, 'every cohort once, in cohortId order')
  t.equal(paged.pages, Math.ceil(120 / 7))
  const exact = await pageThrough(t, h, 'admin', '/v1/cohorts?limit=40', (b) => b.cohorts)
  t.equal(exact.pages, 3, 'a last page that is exactly full names no next page')

  // An operator pages through its own cohorts only; CSV pages by the Link header.
  const own = await pageThrough(t, h, 'op1', '/v1/cohorts?limit=25', (b) => b.cohorts)
  t.ok(own.all.every((c) => c.operatorId === 'OP-1'))
  t.equal(own.all.length, ids.filter((id, _) => id === 'C-1' || (id.startsWith('K-') && Number(id.slice(2)) % 3 !== 0)).length)
  const csv = await get(h, 'admin', '/v1/cohorts?format=csv&limit=50')
  t.equal(csv.body.trim().split('\r\n').length, 51, 'a header line and 50 rows')
  t.match(csv.headers.link, /after=K-047.*rel="next"/)
  // after a key that is not in the list (a cursor from a filtered or older list) still works.
  t.same((await get(h, 'admin', '/v1/cohorts?after=K-0505&limit=2')).json().cohorts.map((c: { cohortId: string }) => c.cohortId), ['K-051', 'K-052'])
})

t.test('bad page parameters answer 400 validation', async (t) => {
  const h = await harness(t)
  await setUp(h)
  for (const url of ['/v1/cohorts', '/v1/cohorts/C-1/roster', '/v1/learners/L-1/events', '/v1/reports']) {
    const as: KeyName = url === '/v1/reports' ? 'auditor' : 'admin'
    for (const bad of ['limit=0', 'limit=-1', 'limit=1001', 'limit=abc', 'limit=1.5', 'limit=', url.includes('events') ? 'fromRevision=-1' : 'after=not%20an%20id']) {
      const res = await get(h, as, `${url}?${bad}`)
      t.equal(res.statusCode, 400, `${url}?${bad}`)
      t.equal(res.json().code, 'validation')
    }
  }
  t.equal((await get(h, 'auditor', '/v1/reports?after=R-404')).statusCode, 400, 'a report cursor must name a report')
})

t.test('rosters and a learner\'s events page the same way', async (t) => {
  const h = await harness(t)
  await setUp(h)
  await expectStatus(h, 'admin', 'POST', '/v1/cohorts', cohort('BIG', 'OP-1', { capacity: 500 }), 201)
  const learners: string[] = []
  for (let i = 0; i < 130; i++) {
    const id = `L-${String(i).padStart(3, '0')}`
    await expectStatus(h, 'op1', 'POST', `/v1/learners/${id}/events`, { events: [application(`N${i}`), screened(), enrolled('BIG')] }, 201)
    learners.push(id)
  }
  const first = await get(h, 'op1', '/v1/cohorts/BIG/roster')
  t.equal(first.json().learners.length, 100, 'default page: 100')
  t.equal(first.json().cohortId, 'BIG')
  const roster = await pageThrough(t, h, 'op1', '/v1/cohorts/BIG/roster?limit=33', (b) => b.learners)
  t.same(roster.all.map((l) => l.learnerId), learners, 'every learner once, in learnerId order')
  t.equal((await get(h, 'op1', '/v1/cohorts/BIG/roster?limit=1000')).json().learners.length, 130)

  // One learner with 150 events: the answer stays an array (api.md), the Link names fromRevision.
  await expectStatus(h, 'op1', 'POST', '/v1/learners/L-000/events', { events: Array.from({ length: 100 }, (_, i) => placement(`P-${i}`, '2025-02-01', 'internship')) }, 201)
  await expectStatus(h, 'op1', 'POST', '/v1/learners/L-000/events', { events: Array.from({ length: 47 }, (_, i) => placement(`Q-${i}`, '2025-02-01', 'internship')) }, 201)
  const page = await get(h, 'op1', '/v1/learners/L-000/events')
  t.ok(Array.isArray(page.json()))
  t.equal(page.json().length, 100, 'default page: 100')
  t.equal(page.headers.link, '</v1/learners/L-000/events?fromRevision=100>; rel="next"')
  const events = await pageThrough(t, h, 'op1', '/v1/learners/L-000/events?limit=40', (b) => b, 'fromRevision')
  t.same(events.all.map((e) => e.streamRevision), Array.from({ length: 150 }, (_, i) => i), 'every event once, oldest first')
  t.same((await get(h, 'op1', '/v1/learners/L-000/events?fromRevision=148')).json().map((e: { streamRevision: number }) => e.streamRevision), [148, 149])
})

t.test('published reports page by reportId, oldest first', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const ids = ['R-c', 'R-a', 'R-d', 'R-b', 'R-e']
  for (const reportId of ids) {
    await expectStatus(h, 'auditor', 'POST', '/v1/reports', { reportId, definition: 'insertion-180d-v1', groupBy: 'programme', asOf: '2026-01-15' }, 201)
  }
  const paged = await pageThrough(t, h, 'auditor', '/v1/reports?limit=2', (b) => b.reports)
  t.same(paged.all.map((r) => r.reportId), ids, 'every report once, in the order published')
  t.equal(paged.pages, 3)
  t.notOk('next' in (await get(h, 'auditor', '/v1/reports')).json(), 'one page: the answer as before')
})
