/**
 * API3, property level: a client never writes a field the schema does not name. Prototype keys
 * and server-owned fields (recordedAt, personKey, position, streamRevision, learnerId in data)
 * are refused with 400 and nothing written; what is stored holds exactly the schema's fields.
 */
import t from 'tap'
import { Envelope, Metadata, storedSchema } from '../../events'
import { harness, type Harness, type KeyName } from '../support/harness'
import * as s from '../support/scenario'

const FORBIDDEN = ['__proto__', 'constructor', 'prototype', 'recordedAt', 'personKey', 'position', 'streamRevision', 'learnerId', 'metadata', 'hash']

/** JSON text with `key` as an own property of the object at `path` (JSON.stringify sends `__proto__` then). */
function withKey(body: unknown, path: string[], key: string, value: unknown = 'x'): string {
  const copy = JSON.parse(JSON.stringify(body)) as Record<string, unknown>
  let target = copy
  for (const p of path) target = target[p] as Record<string, unknown>
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  return JSON.stringify(copy)
}

async function countEvents(h: Harness): Promise<number> {
  let n = 0
  for await (const _ of h.ledger.store.readAll()) n++
  return n
}

interface Target { as: KeyName; method: 'POST' | 'PUT'; url: string; body: unknown; paths: string[][] }

t.test('prototype keys and server-owned fields are refused with 400 on every write route, nothing written', async (t) => {
  const h = await harness(t, { env: { LEDGER_RATE_LIMIT: '1000000' } })
  await s.setUp(h)
  await s.expectStatus(h, 'op1', 'POST', '/v1/learners/L-1/events', s.application('AB1'), 201)
  const targets: Target[] = [
    { as: 'admin', method: 'POST', url: '/v1/operators', body: s.operator('OP-9'), paths: [[]] },
    { as: 'op1', method: 'POST', url: '/v1/cohorts', body: s.cohort('C-9'), paths: [[]] },
    { as: 'op1', method: 'POST', url: '/v1/cohorts/C-1/close', body: { closedOn: '2025-03-01' }, paths: [[]] },
    { as: 'admin', method: 'PUT', url: '/v1/programme/target', body: { learnersTarget: 10, deadline: '2026-12-31' }, paths: [[]] },
    { as: 'op1', method: 'POST', url: '/v1/learners/L-2/events', body: s.application('AB2'), paths: [[], ['data']] },
    { as: 'op1', method: 'POST', url: '/v1/learners/L-1/events', body: s.screened(), paths: [[], ['data']] },
    { as: 'op1', method: 'POST', url: '/v1/learners/L-1/events', body: s.placement(), paths: [['data', 'employer'], ['data', 'evidence']] },
    { as: 'op1', method: 'POST', url: '/v1/learners/L-1/events', body: { events: [s.screened()] }, paths: [[], ['events', '0'], ['events', '0', 'data']] },
  ]
  let tried = 0
  for (const target of targets) {
    // The untouched body is accepted (so the refusals below are about the key), then undone by a fresh id.
    for (const path of target.paths) {
      for (const key of FORBIDDEN) {
        const before = await countEvents(h)
        const payload = withKey(target.body, path, key, key === '__proto__' ? { polluted: true } : 'x')
        const res = await h.call(target.as, { method: target.method, url: target.url, payload, headers: { 'content-type': 'application/json' } })
        tried++
        t.equal(res.statusCode, 400, `${target.url} ${[...path, key].join('.')}: ${res.body.slice(0, 120)}`)
        t.equal(await countEvents(h), before, `${target.url} ${[...path, key].join('.')}: nothing written`)
      }
    }
  }
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype untouched')
  // The same bodies without the key are accepted: the refusals were about the key alone.
  for (const target of targets.slice(0, 5)) {
    const res = await h.call(target.as, { method: target.method, url: target.url, payload: target.body as object })
    t.equal(res.statusCode, 201, `${target.url} without the key: ${res.body.slice(0, 120)}`)
  }
  t.comment(`API3: ${tried} bodies with a forbidden key, all 400, none written`)
})

t.test('an import row carrying a forbidden key is rejected and not written', async (t) => {
  const h = await harness(t)
  await s.setUp(h)
  const before = await countEvents(h)
  const rows = FORBIDDEN.map((key, i) => withKey({ learnerId: `L-${i}`, ...s.application(`IM${i}`) }, ['data'], key, 'x'))
  const top = ['recordedAt', 'personKey', 'position', 'streamRevision', '__proto__'].map((key, i) => withKey({ learnerId: `M-${i}`, ...s.application(`IN${i}`) }, [], key, 'x'))
  const res = await h.call('op1', { method: 'POST', url: '/v1/imports', payload: [...rows, ...top].join('\n'), headers: { 'content-type': 'application/x-ndjson' } })
  t.equal(res.statusCode, 200)
  const answer = res.json() as { accepted: number; rejected: number; rows: Array<{ status: string; code?: string }> }
  t.equal(answer.accepted, 0, JSON.stringify(answer.rows.filter((r) => r.status !== "rejected")))
  t.equal(answer.rejected, rows.length + top.length)
  t.ok(answer.rows.every((r) => r.status === 'rejected' && r.code === 'validation'), 'every row rejected as validation')
  t.equal(await countEvents(h), before, 'nothing written')
})

t.test('stored envelopes hold exactly the schema fields: nothing more, and no national id', async (t) => {
  const h = await harness(t)
  await s.setUp(h)
  await s.expectStatus(h, 'admin', 'PUT', '/v1/programme/target', { learnersTarget: 100, deadline: '2026-12-31' }, 201)
  await s.expectStatus(h, 'op1', 'POST', '/v1/cohorts/C-1/close', { closedOn: '2025-03-01' }, 201)
  await s.expectStatus(h, 'op1', 'POST', '/v1/learners/L-1/events', {
    events: [s.application('NAT-SECRET-1'), s.screened(), s.enrolled(), s.completed(), s.placement()],
  }, 201)
  await s.expectStatus(h, 'auditor', 'POST', '/v1/learners/L-1/events',
    { type: 'PlacementVerified', data: { placementId: 'P-1', method: 'cnss-match', outcome: 'confirmed', verifiedOn: '2025-07-01' } }, 201)
  const envelopeKeys = Object.keys(Envelope.shape).sort()
  const metadataKeys = Object.keys(Metadata.shape)
  let checked = 0
  for await (const e of h.ledger.store.readAll()) {
    checked++
    t.same(Object.keys(e).sort(), envelopeKeys, `${e.type}: envelope fields`)
    t.ok(Object.keys(e.metadata).every((k) => metadataKeys.includes(k)), `${e.type}: metadata fields`)
    // The schema of the event's own version: applications are stored sealed (version 2).
    const schema = storedSchema(e.type, e.schemaVersion) as unknown as { shape: Record<string, unknown> } | undefined
    if (schema === undefined) {
      t.fail(`${e.type} version ${e.schemaVersion} has no schema`)
      continue
    }
    const allowed = Object.keys(schema.shape)
    t.same(Object.keys(e.data).filter((k) => !allowed.includes(k)), [], `${e.type}: no field outside the schema`)
    t.ok(Envelope.safeParse(e).success, `${e.type}: the envelope parses`)
    t.ok((schema as unknown as { safeParse(v: unknown): { success: boolean } }).safeParse(e.data).success, `${e.type}: data parses strictly`)
    t.notMatch(JSON.stringify(e), /NAT-SECRET-1|nationalId/, `${e.type}: no national id`)
    if (e.type === 'ApplicationSubmitted') t.equal(e.schemaVersion, 2, 'the application is stored sealed')
  }
  t.equal(checked, 12, 'every event checked')
})
