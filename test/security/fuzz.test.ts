/**
 * Fuzz every write route with generated and mutated payloads, each sent with a random role's
 * key (or none): no answer is ever a 5xx, and the log holds exactly the events that 2xx answers
 * acknowledged (201: its `events`; 200 re-sends: none; imports: the rows `accepted`), and no
 * error answer carries a stack frame, a path or a driver message. FUZZ_SEED=n replays a run.
 */
import t from 'tap'
import fc from 'fast-check'
import type { LightMyRequestResponse } from 'fastify'
import { harness, type KeyName } from '../support/harness'
import { setUp } from '../support/scenario'
import { LEAK } from './support'
import {
  batchBody, closeBody, COHORT_IDS, cohortBody, importRow, LEARNER_IDS, mutated, operatorBody,
  singleEventBody, targetBody, type Json,
} from './fuzz-payloads'

t.setTimeout(600_000)

const ROLES: Array<KeyName | null> = ['admin', 'op1', 'op2', 'auditor', 'viewer', null]
// Weighted towards the keys that may write, so that enough cases get past the role check.
const role = fc.oneof(...ROLES.map((r) => ({ weight: r === 'admin' || r === 'op1' ? 3 : 1, arbitrary: fc.constant(r) })))
const pathId = (ids: string[]) => fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ids) },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }).map(encodeURIComponent) },
  { weight: 1, arbitrary: fc.constantFrom('x'.repeat(65), '..', '%00', '__proto__', 'constructor', '%F0%9F%98%80') },
)
/** Mostly JSON text; sometimes cut short or not JSON at all. */
const text = (body: fc.Arbitrary<Json>) => fc.tuple(body, fc.nat({ max: 19 }))
  .map(([b, r]) => {
    const s = JSON.stringify(b) ?? 'null'
    return r === 0 ? s.slice(0, Math.floor(s.length / 2)) : r === 1 ? `${s},` : s
  })

interface Tally { cases: number; requests: number; acknowledged: number; byStatus: Map<number, number>; fiveHundreds: string[] }

t.test('write routes: zero 5xx, and recorded events equal acknowledged events', async (t) => {
  const h = await harness(t, { env: { LEDGER_RATE_LIMIT: '1000000' } })
  await setUp(h)
  const base = await h.ledger.store.headPosition()
  const tally: Tally = { cases: 0, requests: 0, acknowledged: 0, byStatus: new Map(), fiveHundreds: [] }

  async function send(as: KeyName | null, method: 'POST' | 'PUT', url: string, payload: string, contentType = 'application/json'): Promise<LightMyRequestResponse> {
    const before = await h.ledger.store.headPosition()
    const res = await h.call(as, { method, url, payload, headers: { 'content-type': contentType } })
    tally.requests++
    tally.byStatus.set(res.statusCode, (tally.byStatus.get(res.statusCode) ?? 0) + 1)
    if (res.statusCode >= 400 && LEAK.test(res.body)) throw new Error(`${method} ${url} answered internals: ${res.body.slice(0, 300)}`)
    if (res.statusCode >= 500) tally.fiveHundreds.push(`${method} ${url} as ${as}: ${res.statusCode} ${res.body.slice(0, 300)} <- ${payload.slice(0, 300)}`)
    let added = 0
    if (url.startsWith('/v1/imports')) {
      if (res.statusCode === 200) {
        const answer = res.json() as { accepted: number; dryRun: boolean; rows: Array<{ status: string }> }
        if (answer.accepted !== answer.rows.filter((r) => r.status === 'accepted').length) throw new Error(`accepted does not count the rows: ${res.body.slice(0, 300)}`)
        if (!answer.dryRun) added = answer.accepted
      }
    } else if (res.statusCode === 201) {
      added = (res.json() as { events: unknown[] }).events.length
    }
    tally.acknowledged += added
    const after = await h.ledger.store.headPosition()
    if (after - before !== added) throw new Error(`${method} ${url} as ${as} answered ${res.statusCode} acknowledging ${added} events, but ${after - before} were recorded: ${res.body.slice(0, 300)}`)
    if (res.statusCode >= 500) throw new Error(tally.fiveHundreds[tally.fiveHundreds.length - 1])
    return res
  }

  /** One case: send, and sometimes send the very same request again (a re-send adds nothing). */
  const writeCase = (method: 'POST' | 'PUT', url: fc.Arbitrary<string>, body: fc.Arbitrary<Json>, contentType?: string, render = text) =>
    fc.asyncProperty(role, url, render(mutated(body)), fc.boolean(), async (as, u, payload, again) => {
      tally.cases++
      const first = await send(as, method, u, payload, contentType)
      if (again) {
        const second = await send(as, method, u, payload, contentType)
        if (first.statusCode === 201 && second.statusCode === 201 && payload.includes('"eventId"')) {
          throw new Error(`a re-send with its eventIds recorded again: ${u} ${payload.slice(0, 200)}`)
        }
      }
    })

  const ndjson = (row: fc.Arbitrary<Json>) => fc.tuple(fc.array(mutated(row), { minLength: 0, maxLength: 6 }), fc.nat({ max: 9 }))
    .map(([rows, r]) => {
      const lines = rows.map((x) => JSON.stringify(x) ?? 'null')
      if (r === 0) lines.push('{not json')
      if (r === 1) lines.splice(0, 0, '', '   ')
      return lines.join(r === 2 ? '\r\n' : '\n')
    })

  const plan: Array<[string, fc.IAsyncProperty<[KeyName | null, string, string, boolean]>, number]> = [
    ['POST /v1/operators', writeCase('POST', fc.constant('/v1/operators'), operatorBody), 400],
    ['POST /v1/cohorts', writeCase('POST', fc.constant('/v1/cohorts'), cohortBody), 500],
    ['POST /v1/cohorts/{id}/close', writeCase('POST', pathId(COHORT_IDS).map((id) => `/v1/cohorts/${id}/close`), closeBody), 400],
    ['PUT /v1/programme/target', writeCase('PUT', fc.constant('/v1/programme/target'), targetBody), 400],
    ['POST /v1/learners/{id}/events (one)', writeCase('POST', pathId(LEARNER_IDS).map((id) => `/v1/learners/${id}/events`), singleEventBody), 1300],
    ['POST /v1/learners/{id}/events (batch)', writeCase('POST', pathId(LEARNER_IDS).map((id) => `/v1/learners/${id}/events`), batchBody), 700],
    ['POST /v1/imports (NDJSON)', writeCase('POST', fc.constantFrom('/v1/imports', '/v1/imports?dryRun=true', '/v1/imports?dryRun=false', '/v1/imports?type=LearnerEnrolled'),
      importRow, 'application/x-ndjson', ndjson), 450],
  ]
  // A fixed seed, so a failure replays exactly; FUZZ_SEED=n explores other inputs.
  const seed = Number(process.env.FUZZ_SEED ?? 20261202)
  t.comment(`fuzz seed ${seed}`)
  for (const [name, property, numRuns] of plan) {
    const start = tally.cases
    await t.resolves(fc.assert(property, { numRuns, seed, verbose: 1 }), name)
    t.comment(`${name}: ${tally.cases - start} cases`)
  }

  let stored = 0
  for await (const _ of h.ledger.store.readAll()) stored++
  const setUpEvents = base
  t.equal(stored - setUpEvents, tally.acknowledged, 'every recorded event was acknowledged by a 2xx, and every acknowledged one was recorded')
  t.equal(h.ledger.runner.position, await h.ledger.store.headPosition(), 'the projections hold the whole log')
  t.same(tally.fiveHundreds, [], 'no 5xx')
  t.ok(tally.acknowledged > 50, `the fuzz got some events through (${tally.acknowledged})`)
  t.comment(`fuzz: ${tally.cases} cases, ${tally.requests} requests, ${tally.acknowledged} events acknowledged, statuses ${JSON.stringify(Object.fromEntries(tally.byStatus))}`)
})
