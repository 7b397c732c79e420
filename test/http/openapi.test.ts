/**
 * The OpenAPI document (/openapi.json) says what every operation answers: each has an
 * operationId, a 2xx answer and its security, the document names its server, every status a
 * route answers is documented, and the response schemas drop or reorder nothing (fastify
 * serializes every JSON answer through them). With @redocly/openapi-core installed, an
 * independent linter's recommended rules pass clean as well.
 */
import { join } from 'node:path'
import t from 'tap'
import type { FastifyRequest, InjectOptions } from 'fastify'
import { StoreUnavailable } from '../../src/errors'
import { openSqliteStore } from '../../src/store/sqlite'
import type { EventStore } from '../../src/store/types'
import { harness, manualClock, type Harness, type KeyName } from '../support/harness'
import { application, cohort, completed, enrolled, operator, placement, screened, withdrew } from '../support/scenario'

interface Operation {
  operationId?: string
  security?: Array<Record<string, string[]>>
  requestBody?: unknown
  responses: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>
}
interface OpenApi {
  servers?: Array<{ url: string }>
  security?: Array<Record<string, string[]>>
  paths: Record<string, Record<string, Operation>>
  components: { schemas: Record<string, unknown> }
}

async function documentOf(h: Harness): Promise<OpenApi> {
  const res = await h.call(null, { method: 'GET', url: '/openapi.json' })
  if (res.statusCode !== 200) throw new Error(`/openapi.json answered ${res.statusCode}`)
  return res.json()
}

const operationsOf = (doc: OpenApi) =>
  Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method: method.toUpperCase(), op })))

/** Every object in `value`, depth first. */
function* objectsIn(value: unknown): Generator<Record<string, unknown>> {
  if (Array.isArray(value)) for (const item of value) yield* objectsIn(item)
  else if (value !== null && typeof value === 'object') {
    yield value as Record<string, unknown>
    for (const child of Object.values(value)) yield* objectsIn(child)
  }
}

t.test('every operation has an operationId, a 2xx answer and its security; the server is named', async (t) => {
  const h = await harness(t)
  const doc = await documentOf(h)
  t.ok(doc.servers !== undefined && doc.servers.length > 0, 'servers is not empty')
  const ops = operationsOf(doc)
  t.ok(ops.length >= 20, `${ops.length} operations`)
  const ids = ops.map(({ op }) => op.operationId)
  t.same(ids.filter((id) => typeof id !== 'string' || !/^[A-Za-z][A-Za-z0-9]*$/.test(id)), [], 'every operation has an operationId')
  t.equal(new Set(ids).size, ids.length, 'operationIds are unique')
  for (const { path, method, op } of ops) {
    const name = `${method} ${path}`
    const statuses = Object.keys(op.responses)
    t.ok(statuses.some((s) => s.startsWith('2')), `${name} documents a 2xx answer`)
    t.same(statuses.filter((s) => !op.responses[s].description), [], `${name}: every answer is described`)
    const security = op.security ?? doc.security
    t.ok(Array.isArray(security), `${name} has its security defined`)
    if (path.startsWith('/v1/')) {
      t.same(op.security, [{ bearerAuth: [] }], `${name} takes the bearer key`)
      t.same(['401', '403', '429'].filter((s) => !statuses.includes(s)), [], `${name} documents 401, 403, 429`)
      // Every error answer under /v1 is the one error shape.
      const errors = statuses.filter((s) => !s.startsWith('2'))
      t.same(errors.filter((s) => !JSON.stringify(op.responses[s].content ?? {}).includes('#/components/schemas/Error')), [], `${name}: errors in the Error shape`)
    } else {
      t.ok(security?.some((requirement) => Object.keys(requirement).length === 0), `${name} is public`)
    }
    t.same(['4XX', '500', '503'].filter((s) => !statuses.includes(s)), [], `${name} documents what any request can meet`)
  }
  const refs = new Set([...objectsIn(doc)].flatMap((o) => (typeof o.$ref === 'string' ? [o.$ref] : [])))
  t.same(Object.keys(doc.components.schemas).filter((name) => !refs.has(`#/components/schemas/${name}`)), [], 'no unused component')
  t.same([...objectsIn(doc)].filter((o) => o.nullable === true && o.type === undefined), [], 'OpenAPI 3.0: nullable always beside a type')
})

/** A store that answers StoreUnavailable while `down`, as an unreachable EventStoreDB would. */
function switchable(inner: EventStore): { store: EventStore; setDown(down: boolean): void } {
  let down = false
  const failing = new Set<PropertyKey>(['append', 'readStream', 'readAll', 'headPosition', 'ping'])
  const store = new Proxy(inner, {
    get(target, property) {
      if (down && failing.has(property)) return () => { throw new StoreUnavailable() }
      const value: unknown = Reflect.get(target, property)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return { store, setDown: (value) => { down = value } }
}

/** Where two texts part, with a little of each. */
function difference(written: string, plain: string): string {
  let at = 0
  while (at < written.length && written[at] === plain[at]) at++
  return `from character ${at}: ...${written.slice(Math.max(0, at - 40), at + 60)} instead of ...${plain.slice(Math.max(0, at - 40), at + 60)}`
}

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`

t.test('every status a route answers is documented, and its schema drops or reorders nothing', async (t) => {
  const clock = manualClock('2026-03-02T08:00:00.000Z')
  let outage: ReturnType<typeof switchable> | undefined
  const h = await harness(t, {
    clock,
    makeStore: (dataDir) => (outage = switchable(openSqliteStore(join(dataDir, 'ledger.db'), { now: () => clock.now() }))).store,
  })
  // What each route answered, and every answer its schema wrote otherwise than JSON.stringify.
  const answered = new Map<string, Set<number>>()
  const rewritten: string[] = []
  const plain = new WeakMap<FastifyRequest, string>()
  h.app.addHook('preSerialization', async (request, _reply, payload) => {
    plain.set(request, JSON.stringify(payload))
    return payload
  })
  h.app.addHook('onSend', async (request, reply, payload) => {
    const before = plain.get(request)
    if (before !== undefined && payload !== before) rewritten.push(`${request.method} ${request.url} ${reply.statusCode}: ${difference(String(payload), before)}`)
    return payload
  })
  h.app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url
    if (route === undefined) return
    const key = `${request.method} ${route.replace(/:(\w+)/g, '{$1}')}`
    answered.set(key, (answered.get(key) ?? new Set()).add(reply.statusCode))
  })
  const doc = await documentOf(h)
  /** An object payload goes as JSON; a string as it is, with the content type given. */
  const call = (as: KeyName | null, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) => {
    const options: InjectOptions = { method: method as InjectOptions['method'], url, headers }
    if (typeof payload === 'string') options.payload = payload
    else if (payload !== undefined) Object.assign(options, { payload: JSON.stringify(payload), headers: { 'content-type': 'application/json', ...headers } })
    return h.call(as, options)
  }
  const expect = async (as: KeyName | null, method: string, url: string, payload: unknown, status: number) => {
    const res = await call(as, method, url, payload)
    t.equal(res.statusCode, status, `${method} ${url}`, { body: res.body })
  }

  // A programme with every kind of fact, so that every optional field shows somewhere.
  await expect('admin', 'POST', '/v1/operators', { ...operator('OP-1'), legalId: 'RC-1', eventId: uuid(1) }, 201)
  await expect('admin', 'POST', '/v1/operators', { ...operator('OP-1'), legalId: 'RC-1', eventId: uuid(1) }, 200)
  await expect('admin', 'POST', '/v1/operators', operator('OP-2'), 201)
  await expect('op1', 'POST', '/v1/cohorts', cohort('C-1', 'OP-1', { capacity: 10 }), 201)
  await expect('op2', 'POST', '/v1/cohorts', cohort('C-2', 'OP-2'), 201)
  await expect('op2', 'POST', '/v1/cohorts/C-2/close', { closedOn: '2025-03-01' }, 201)
  await expect('admin', 'PUT', '/v1/programme/target', { learnersTarget: 7, deadline: '2027-12-31' }, 201)
  const verified = { type: 'PlacementVerified', data: { placementId: 'P-A', method: 'cnss-match', outcome: 'confirmed', verifiedOn: '2025-07-01' } }
  await expect('op1', 'POST', '/v1/learners/A/events', { events: [
    application('NA'), { type: 'ApplicationScreened', data: { decision: 'accepted', reason: 'strong test', screenedOn: '2024-12-15' } }, enrolled(), completed(),
    { ...placement('P-A'), data: { ...placement('P-A').data, employer: { name: 'Atlas Digital', legalId: 'RC-9' } } },
    { type: 'FollowUpRecorded', data: { monthsAfterCompletion: 6, status: 'employed', surveyedOn: '2025-11-03' } },
    { type: 'PlacementEnded', data: { placementId: 'P-A', endDate: '2025-12-31', reason: 'contract-ended' } },
  ] }, 201)
  await expect('auditor', 'POST', '/v1/learners/A/events', verified, 201)
  await expect('op1', 'POST', '/v1/learners/B/events', { events: [application('NB', 'OP-1', { gender: 'male', birthYear: 1990 }), screened(), enrolled(), withdrew()] }, 201)
  await expect('op1', 'POST', '/v1/learners/C/events', { events: [application('NC'), screened(), enrolled(), completed(), placement('P-C', '2025-06-10', 'cdd')] }, 201)
  await expect('op1', 'POST', '/v1/learners/E/events', { events: [application('NE'), screened('waitlisted')] }, 201)
  clock.advance(60_000)
  await expect('auditor', 'POST', '/v1/reports', { reportId: 'R-1', definition: 'insertion-180d-v1', groupBy: 'gender', asOf: '2026-01-15', eventId: uuid(2) }, 201)
  await expect('auditor', 'POST', '/v1/reports', { reportId: 'R-2', definition: 'employment-at-6m-v1', groupBy: 'programme', asOf: '2026-01-15' }, 201)
  clock.advance(60_000)
  // Corrections after publication: the restatement shows changed groups and their events.
  const events = (await call('op1', 'GET', '/v1/learners/C/events')).json() as Array<{ eventId: string; type: string }>
  const placed = events.find((e) => e.type === 'PlacementRecorded')?.eventId
  await expect('op1', 'POST', '/v1/learners/C/events', { type: 'EventRetracted', data: { retractedEventId: placed, reason: 'wrong learner' } }, 201)
  await expect('op1', 'POST', '/v1/learners/F/events', { events: [application('NF', 'OP-1', { gender: 'male' }), screened(), enrolled(), completed(), placement('P-F')] }, 201)
  await expect('admin', 'POST', '/v1/learners/E/erasure', { reason: 'other' }, 201)
  await expect('admin', 'POST', '/v1/learners/E/erasure', undefined, 200)
  const ndjson = `${JSON.stringify({ learnerId: 'G', ...application('NG') })}\n${JSON.stringify({ learnerId: 'G', type: 'Nope', data: {} })}\n`
  await expect('op1', 'POST', '/v1/imports', undefined, 400)
  const imported = await call('op1', 'POST', '/v1/imports?dryRun=false', ndjson, { 'content-type': 'application/x-ndjson' })
  t.equal(imported.statusCode, 200, 'an import')

  // Every read, in each of its forms.
  const reads: Array<[KeyName, string]> = [
    ['auditor', '/v1/learners/A'], ['auditor', '/v1/learners/B'], ['auditor', '/v1/learners/E'],
    ['auditor', '/v1/learners/A/events?limit=2&fromRevision=1'], ['auditor', '/v1/learners/E/events'],
    ['admin', '/v1/cohorts'], ['admin', '/v1/cohorts?limit=1'], ['admin', '/v1/cohorts?format=csv'], ['op1', '/v1/cohorts?operatorId=OP-2'],
    ['op1', '/v1/cohorts/C-1/roster'], ['op1', '/v1/cohorts/C-1/roster?limit=1&format=csv'],
    ['viewer', '/v1/indicators/insertion?asOf=2026-01-15'], ['viewer', '/v1/indicators/insertion?groupBy=cohort&format=csv'],
    ['viewer', '/v1/indicators/insertion?definition=employment-at-6m-v1&groupBy=ageBand&asOf=2026-06-30'],
    ['viewer', '/v1/indicators/progress'],
    ['auditor', '/v1/audit/events?fromPosition=2&limit=3'], ['auditor', '/v1/audit/verify'],
    ['auditor', '/v1/audit/explain/insertion?asOf=2026-01-15'], ['auditor', '/v1/audit/explain/insertion?groupBy=cohort&key=C-1&asOf=2026-01-15'],
    ['auditor', '/v1/audit/explain/insertion?groupBy=cohort'],
    ['auditor', '/v1/reports'], ['auditor', '/v1/reports?limit=1'], ['auditor', '/v1/reports?after=NOPE'],
    ['auditor', '/v1/reports/R-1'], ['auditor', '/v1/reports/R-2'], ['auditor', '/v1/reports/R-1/restatement'], ['auditor', '/v1/reports/R-2/restatement'],
  ]
  for (const [as, url] of reads) await call(as, 'GET', url)
  for (const url of ['/health/live', '/health/ready']) await call(null, 'GET', url)
  await call('auditor', 'POST', '/v1/audit/replay', { asOf: '2026-01-15' })
  await call('auditor', 'POST', '/v1/audit/replay')

  // Every refusal, on every operation: no key, a key of another role, an unknown parameter,
  // unknown ids, a broken rule, bodies that are not JSON, too large or of another type, the
  // projections behind minPosition, the store unreachable.
  const ids: Record<string, string> = { learnerId: 'A', cohortId: 'C-1', reportId: 'R-1' }
  const urlOf = (path: string, id?: string) => path.replace(/\{(\w+)\}/g, (_, name: string) => id ?? ids[name])
  const bodies: Record<string, unknown> = {
    registerOperator: operator('OP-1'), openCohort: cohort('C-1'), closeCohort: { closedOn: '2025-03-01' },
    setProgrammeTarget: { learnersTarget: 9, deadline: '2027-12-31', eventId: uuid(3) }, recordLearnerEvents: enrolled('C-9'),
    publishReport: { reportId: 'R-1', definition: 'insertion-180d-v1', groupBy: 'programme', asOf: '2026-01-15' },
    replayLedger: {}, eraseLearner: {}, importLearnerEvents: ndjson,
  }
  const bodyHeaders: Record<string, Record<string, string>> = { importLearnerEvents: { 'content-type': 'application/x-ndjson' } }
  // The probes send this eventId again with another payload: 409 duplicate-event-id.
  await expect('admin', 'PUT', '/v1/programme/target', { learnersTarget: 8, deadline: '2027-12-31', eventId: uuid(3) }, 201)
  const runner = h.ledger.runner
  const waitFor = runner.waitFor
  for (const { path, method, op } of operationsOf(doc).filter(({ path }) => path.startsWith('/v1/'))) {
    const url = urlOf(path)
    const body = bodies[op.operationId ?? '']
    const headers = bodyHeaders[op.operationId ?? '']
    const sep = url.includes('?') ? '&' : '?'
    await call(null, method, url, body, headers)
    await call('viewer', method, url, body, headers)
    await call('op2', method, url, body, headers)
    await call('admin', method, `${url}${sep}zz=1`, body, headers)
    await call('admin', method, urlOf(path, 'NOPE'), body, headers)
    await call('admin', method, url, body, headers)
    if (op.requestBody !== undefined) {
      await call('admin', method, url, '{', { 'content-type': 'application/json' })
      await call('admin', method, url, 'plain text', { 'content-type': 'text/plain' })
      if (method !== 'GET' && path !== '/v1/imports') await call('admin', method, url, { padding: 'x'.repeat(1_100_000) })
    }
    // The projections never reach this position: answered at once rather than after 5 s.
    runner.waitFor = async (position) => runner.position >= position
    await call('admin', method, `${url}${sep}minPosition=999999999`, body, headers)
    runner.waitFor = waitFor
    outage?.setDown(true)
    await call('admin', method, url, body, headers)
    outage?.setDown(false)
  }
  outage?.setDown(true)
  for (const url of ['/health/live', '/health/ready']) await call(null, 'GET', url)
  outage?.setDown(false)

  t.same(rewritten, [], 'every JSON answer is byte for byte what JSON.stringify makes of what the route returned')
  const undocumented: string[] = []
  for (const { path, method, op } of operationsOf(doc)) {
    const statuses = [...(answered.get(`${method} ${path}`) ?? [])]
    t.ok(statuses.some((s) => s >= 200 && s < 300), `${method} ${path} was answered a 2xx`)
    for (const s of statuses) if (!(String(s) in op.responses) && !(`${String(s)[0]}XX` in op.responses)) undocumented.push(`${op.operationId} ${s}`)
  }
  t.same(undocumented, [], 'every status answered is documented for its operation')
  const seen = new Set([...answered.values()].flatMap((s) => [...s]))
  t.same([200, 201, 400, 401, 403, 404, 409, 413, 415, 503].filter((s) => !seen.has(s)), [], 'the probes met every kind of answer')
  // A field a projection gains and its strict schema lacks is a 500: the answer is refused, not cut.
  t.notOk(seen.has(500), 'no answer failed its schema (or anything else)')
})

interface LintProblem {
  ruleId: string
  severity: string
  message: string
  location: Array<{ pointer?: string }>
}
interface RedoclyCore {
  createConfig(config: { extends: string[] }): Promise<unknown>
  lintFromString(options: { source: string; absoluteRef: string; config: unknown }): Promise<LintProblem[]>
}

const LINTER = '@redocly/openapi-core'
function linterMissing(): string | false {
  try {
    require.resolve(LINTER)
    return false
  } catch {
    return `the linter is not installed: add the devDependency ${LINTER} to run it here`
  }
}

t.test('an independent linter: the recommended rules of @redocly/openapi-core pass clean', { skip: linterMissing() }, async (t) => {
  const core: RedoclyCore = require(LINTER)
  const h = await harness(t)
  const res = await h.call(null, { method: 'GET', url: '/openapi.json' })
  const config = await core.createConfig({ extends: ['recommended'] })
  const problems = await core.lintFromString({ source: res.body, absoluteRef: 'openapi.json', config })
  t.same(problems.map((p) => `${p.severity} ${p.ruleId} at ${p.location[0]?.pointer ?? '?'}: ${p.message}`), [], '0 errors, 0 warnings')
})
