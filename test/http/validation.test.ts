/**
 * A 400 `validation` names each bad field by its path, once, in one short message: for a union
 * body, the issues of the branch the body was meant for (a batch when it has `events`, else one
 * event; an event's `data` by its `type`), never every branch's schema.
 */
import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { harness, type Harness, type KeyName } from '../support/harness'
import { application, cohort, enrolled, screened, setUp } from '../support/scenario'

type Method = 'POST' | 'PUT'

interface Route { name: string; as: KeyName; method: Method; url: string; valid: Record<string, unknown>; nullable?: boolean }

const ROUTES: Route[] = [
  { name: 'operators', as: 'admin', method: 'POST', url: '/v1/operators', valid: { operatorId: 'OP-9', name: 'Operator 9' } },
  { name: 'cohorts', as: 'admin', method: 'POST', url: '/v1/cohorts', valid: cohort('C-9') },
  { name: 'close', as: 'op1', method: 'POST', url: '/v1/cohorts/C-1/close', valid: { closedOn: '2025-03-01' } },
  { name: 'target', as: 'admin', method: 'PUT', url: '/v1/programme/target', valid: { learnersTarget: 1000, deadline: '2026-12-31' } },
  { name: 'event', as: 'op1', method: 'POST', url: '/v1/learners/L-1/events', valid: application('N1') },
  { name: 'batch', as: 'op1', method: 'POST', url: '/v1/learners/L-1/events', valid: { events: [application('N1'), screened()] } },
  { name: 'reports', as: 'auditor', method: 'POST', url: '/v1/reports', valid: { reportId: 'R-1', definition: 'insertion-180d-v1', groupBy: 'programme', asOf: '2025-06-30' } },
  { name: 'replay', as: 'auditor', method: 'POST', url: '/v1/audit/replay', valid: { asOf: '2025-06-30' }, nullable: true },
  { name: 'erasure', as: 'admin', method: 'POST', url: '/v1/learners/L-1/erasure', valid: { reason: 'other' }, nullable: true },
]

const route = (name: string) => ROUTES.find((r) => r.name === name)!

function send(h: Harness, r: Route, payload: unknown, url = r.url): Promise<LightMyRequestResponse> {
  return h.call(r.as, { method: r.method, url, payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } })
}

/** The paths a validation message names, in order: `invalid body: a.b: ...; c: ...`. */
function pathsOf(message: string, part = 'body'): string[] {
  const prefix = `invalid ${part}: `
  if (!message.startsWith(prefix)) throw new Error(`not a ${part} validation message: ${message}`)
  return message.slice(prefix.length).replace(/; and \d+ more$/, '').split('; ').map((piece) => piece.slice(0, piece.indexOf(': ')))
}

/** `events[0].data.cohortId`, as messages write paths. */
const pathText = (path: Array<string | number>) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('')

async function expect400(t: Test, res: LightMyRequestResponse, message: string, what: string) {
  t.equal(res.statusCode, 400, `${what}: 400`)
  const body = res.json()
  t.equal(body.code, 'validation', `${what}: code`)
  t.equal(body.message, message, what)
  return body
}

t.test('each write route: one bad field is named by its path, exactly', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const app = application('N1')
  const cases: Array<{ r: string; payload: unknown; message: string; path: Array<string | number> }> = [
    { r: 'operators', payload: { operatorId: 'OP-9', name: '' }, path: ['name'], message: 'invalid body: name: must not be empty' },
    { r: 'cohorts', payload: cohort('C-9', 'OP-1', { region: 'MA-13' }), path: ['region'], message: 'invalid body: region: expected one of MA-01…MA-12' },
    { r: 'cohorts', payload: cohort('C-9', 'OP-1', { capacity: 0 }), path: ['capacity'], message: 'invalid body: capacity: greater than 0' },
    { r: 'close', payload: { closedOn: '2025-02-30' }, path: ['closedOn'], message: 'invalid body: closedOn: not a calendar date' },
    { r: 'target', payload: { learnersTarget: 1.5, deadline: '2026-12-31' }, path: ['learnersTarget'], message: 'invalid body: learnersTarget: expected an integer' },
    { r: 'event', payload: { ...app, data: { ...app.data, birthYear: '2001' } }, path: ['data', 'birthYear'], message: 'invalid body: data.birthYear: expected a number' },
    { r: 'event', payload: { ...app, data: { ...app.data, region: 'Casablanca' } }, path: ['data', 'region'], message: 'invalid body: data.region: expected one of MA-01…MA-12' },
    { r: 'event', payload: { type: 'LearnerEnrolled', data: { cohortId: 'C-1' } }, path: ['data', 'enrolledOn'], message: 'invalid body: data.enrolledOn: required' },
    { r: 'event', payload: { ...screened(), data: { screenedOn: '2024-12-15' } }, path: ['data', 'decision'], message: 'invalid body: data.decision: required' },
    { r: 'event', payload: { type: 'FollowUpRecorded', data: { monthsAfterCompletion: 4, status: 'employed', surveyedOn: '2025-08-01' } }, path: ['data', 'monthsAfterCompletion'], message: 'invalid body: data.monthsAfterCompletion: expected one of 3, 6, 12' },
    { r: 'event', payload: { ...screened(), eventId: 'not-a-uuid' }, path: ['eventId'], message: 'invalid body: eventId: expected a UUID' },
    { r: 'event', payload: { ...screened(), expectedRevision: 0 }, path: ['expectedRevision'], message: 'invalid body: expectedRevision: unknown field' },
    { r: 'event', payload: { type: 'LearnerEnroled', data: enrolled().data }, path: ['type'], message: 'invalid body: type: expected one of ApplicationSubmitted, ApplicationScreened, LearnerEnrolled, LearnerWithdrew, TrainingCompleted, PlacementRecorded, PlacementEnded, FollowUpRecorded, PlacementVerified, EventRetracted' },
    { r: 'batch', payload: { events: [app, { ...enrolled(), data: { ...enrolled().data, seat: 3 } }] }, path: ['events', 1, 'data', 'seat'], message: 'invalid body: events[1].data.seat: unknown field' },
    { r: 'batch', payload: { events: [app, screened('maybe')] }, path: ['events', 1, 'data', 'decision'], message: 'invalid body: events[1].data.decision: expected one of accepted, rejected, waitlisted' },
    { r: 'batch', payload: { events: [] }, path: ['events'], message: 'invalid body: events: at least 1 item' },
    { r: 'batch', payload: { events: [app], expectedRevision: -2 }, path: ['expectedRevision'], message: 'invalid body: expectedRevision: at least -1' },
    { r: 'batch', payload: { events: Array.from({ length: 101 }, () => screened()) }, path: ['events'], message: 'invalid body: events: at most 100 items' },
    { r: 'reports', payload: { reportId: 'R-1', definition: 'insertion-180d-v2', groupBy: 'programme', asOf: '2025-06-30' }, path: ['definition'], message: 'invalid body: definition: expected one of insertion-180d-v1, employment-at-6m-v1' },
    { r: 'replay', payload: { asOf: '30/06/2025' }, path: ['asOf'], message: 'invalid body: asOf: a date is YYYY-MM-DD' },
    { r: 'replay', payload: { knownAt: 'yesterday' }, path: ['knownAt'], message: 'invalid body: knownAt: expected an ISO 8601 date-time' },
    { r: 'erasure', payload: { reason: 'because' }, path: ['reason'], message: 'invalid body: reason: expected one of data-subject-request, retention-period-ended, legal-obligation, other' },
  ]
  for (const c of cases) {
    const r = route(c.r)
    const body = await expect400(t, await send(h, r, c.payload), c.message, `${c.r}: ${pathText(c.path)}`)
    const said = c.message.slice(c.message.indexOf(': ', 'invalid body: '.length) + 2)
    t.equal(body.details.length, 1, `${c.r}: details hold that one issue`)
    if (said === 'unknown field') {
      // As zod has it: the object's path, and the keys it does not know.
      t.match(body.details[0], { code: 'unrecognized_keys', path: c.path.slice(0, -1), keys: [c.path.at(-1)], message: `unknown field: ${c.path.at(-1)}` })
    } else {
      t.same(body.details[0].path, c.path, `${c.r}: its path`)
      t.equal(body.details[0].message, said, `${c.r}: its short message`)
    }
  }

  // A path parameter and a query string the same way.
  const params = await h.call('op1', { method: 'POST', url: '/v1/learners/L%201/events', payload: screened() })
  await expect400(t, params, 'invalid params: learnerId: an id is 1 to 64 of A-Z a-z 0-9 _ -', 'params')
  const query = await h.call('op1', { method: 'POST', url: '/v1/imports?type=ApplicationScreened&dryRun=yes', payload: 'learnerId,decision,screenedOn\nL-1,accepted,2024-12-15\n', headers: { 'content-type': 'text/csv' } })
  await expect400(t, query, 'invalid querystring: dryRun: expected one of true, false', 'imports query')
  const unknown = await h.call('admin', { method: 'GET', url: '/v1/cohorts?limit=10&page=2' })
  await expect400(t, unknown, 'invalid querystring: page: unknown parameter', 'an unknown query parameter')
  const notNumber = await h.call('admin', { method: 'GET', url: '/v1/cohorts?limit=ten' })
  await expect400(t, notNumber, 'invalid querystring: limit: expected a number', 'a query number')
})

t.test('several bad fields: each path named once, in the branch the body was meant for', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const app = application('N1')
  const { gender: _gender, ...noGender } = app.data

  const single = await send(h, route('event'), { ...app, data: { ...noGender, birthYear: 'x', region: 'MA-99', foo: 1 } })
  const singleBody = await expect400(t, single,
    'invalid body: data.gender: required; data.birthYear: expected a number; data.region: expected one of MA-01…MA-12; data.foo: unknown field', 'a single event')
  t.notMatch(singleBody.message, /events|expected an array|Unrecognized|type, data/, 'nothing of the batch branch')
  t.same(singleBody.details.map((d: { code: string; path: string[] }) => [d.code, d.path.join('.')]), [
    ['invalid_value', 'data.gender'], ['invalid_type', 'data.birthYear'], ['invalid_value', 'data.region'], ['unrecognized_keys', 'data'],
  ])

  // A date that fails both its pattern and its calendar check is still named once.
  const twice = await send(h, route('close'), { closedOn: '2025-1-1', extra: true })
  await expect400(t, twice, 'invalid body: closedOn: a date is YYYY-MM-DD; extra: unknown field', 'one path, two checks')

  const batch = await send(h, route('batch'), { events: [{ ...app, data: { ...app.data, birthYear: 1850 } }, { type: 'LearnerEnrolled', data: { cohortId: 'C 1' } }, screened()] })
  const batchBody = await expect400(t, batch,
    'invalid body: events[0].data.birthYear: at least 1900; events[1].data.cohortId: an id is 1 to 64 of A-Z a-z 0-9 _ -; events[1].data.enrolledOn: required', 'a batch')
  t.notMatch(batchBody.message, /type: |data: /, 'nothing of the single-event branch')

  const cohorts = await send(h, route('cohorts'), { ...cohort('C-9'), startDate: 'soon', endDate: 'later', format: 'online', capacity: -1, track: 'Data Science', city: '' })
  const paths = pathsOf((await cohorts.json()).message)
  t.same(paths, ['track', 'city', 'startDate', 'endDate', 'capacity', 'format'])
  t.equal(new Set(paths).size, paths.length, 'each path once')
})

t.test('an empty, missing or garbage body answers a short message', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const huge = 'x'.repeat(200_000)
  const manyKeys = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`k${i}`, i]))
  let nested: unknown = 1
  for (let i = 0; i < 500; i++) nested = [nested]
  const garbage: Array<[string, string | undefined]> = [
    ['no body', undefined], ['null', 'null'], ['a string', '"hello"'], ['a number', '42'], ['true', 'true'], ['an array', '[1,2,3]'],
    ['an empty object', '{}'], ['a huge string', JSON.stringify(huge)], ['a huge key', JSON.stringify({ [huge]: 1 })],
    ['5000 unknown keys', JSON.stringify(manyKeys)], ['deep nesting', JSON.stringify({ events: nested })],
    ['events of garbage', JSON.stringify({ events: Array.from({ length: 100 }, (_, i) => ({ [`junk${i}`]: huge.slice(0, 1000) })) })],
    ['type of garbage', JSON.stringify({ type: huge, data: huge })],
  ]
  for (const r of ROUTES) {
    for (const [what, payload] of garbage) {
      const res = await h.call(r.as, { method: r.method, url: r.url, ...(payload === undefined ? {} : { payload, headers: { 'content-type': 'application/json' } }) })
      // replay and erasure take no body, null or {} (all defaults): those pass validation.
      if (r.nullable && ['no body', 'null', 'an empty object'].includes(what) && res.statusCode !== 400) continue
      t.equal(res.statusCode, 400, `${r.name}, ${what}: 400`)
      const body = res.json()
      t.ok(body.code === 'validation' || body.code === 'invalid-json', `${r.name}, ${what}: ${body.code}`)
      t.ok(body.message.length < 300, `${r.name}, ${what}: ${body.message.length} characters`)
      t.notMatch(body.message, /Unrecognized key|Invalid input|expected array, received/, `${r.name}, ${what}: none of zod's dump`)
      if (body.code === 'validation') t.ok(body.details.length <= 50, `${r.name}, ${what}: at most 50 details`)
    }
  }
  const empty = await send(h, route('event'), {})
  t.equal(empty.json().message, 'invalid body: type: required')
  const emptyCohort = await send(h, route('cohorts'), {})
  t.equal(emptyCohort.json().message, 'invalid body: cohortId: required; operatorId: required; track: required; region: required; city: required; startDate: required; endDate: required; capacity: required; format: required')
  const none = await h.call('op1', { method: 'POST', url: '/v1/learners/L-1/events' })
  t.equal(none.json().message, 'invalid body: expected an object, got nothing')
  const text = await send(h, route('batch'), 'hello')
  t.same(text.json(), { statusCode: 400, code: 'validation', message: 'invalid body: expected an object', details: [{ code: 'invalid_union', path: [], message: 'expected an object', expected: ['object'] }] })
  const many = (await send(h, route('operators'), manyKeys)).json()
  t.match(many.message, /^invalid body: operatorId: required; name: required; k0: unknown field; .*; and \d+ more$/)
  const named = pathsOf(many.message).length
  t.equal(named + Number(/and (\d+) more$/.exec(many.message)![1]), 5002, 'the count of the paths not named is exact')
  t.match(many.details.at(-1), { code: 'unrecognized_keys', path: [], message: /^unknown fields: k0, k1, .*, k19 and 4980 more$/ })
  t.equal(many.details.at(-1).keys.length, 20)
})
