/**
 * API8, misconfiguration: helmet's headers on every kind of answer, no stack trace or driver
 * message in any error answer (a store that throws a raw driver error answers a bare 500), the
 * keys file holds only hashes, and LEDGER_DOCS=false takes /docs and /openapi.json away.
 */
import t, { type Test } from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LightMyRequestResponse } from 'fastify'
import { addKey, ensureKeysFile, hashKey } from '../../src/auth/keys'
import { openSqliteStore } from '../../src/store/sqlite'
import type { EventStore } from '../../src/store/types'
import { harness, type KeyName } from '../support/harness'
import * as s from '../support/scenario'
import { LEAK, loggedHarness } from './support'

const HELMET: Record<string, RegExp> = {
  'content-security-policy': /default-src 'self'/,
  'cross-origin-opener-policy': /^same-origin$/,
  'cross-origin-resource-policy': /^same-origin$/,
  'origin-agent-cluster': /^\?1$/,
  'referrer-policy': /^no-referrer$/,
  // Never over plain HTTP, as every answer here is (headers-edge.test.ts has the HTTPS side).
  'strict-transport-security': /^$/,
  'x-content-type-options': /^nosniff$/,
  'x-dns-prefetch-control': /^off$/,
  'x-download-options': /^noopen$/,
  'x-frame-options': /^SAMEORIGIN$/,
  'x-permitted-cross-domain-policies': /^none$/,
  'x-xss-protection': /^0$/,
}


const DRIVER_MESSAGE = 'SQLITE_CORRUPT: database disk image is malformed (/var/lib/ledger/secret.db)'

/** The SQLite store, but readStream and headPosition throw a raw driver error while `broken`. */
function breakable(inner: EventStore): EventStore & { broken: boolean } {
  const store = {
    broken: false,
    kind: inner.kind,
    append: inner.append.bind(inner),
    async readStream(streamId: string) {
      if (store.broken) throw new Error(DRIVER_MESSAGE)
      return inner.readStream(streamId)
    },
    readAll: inner.readAll.bind(inner),
    subscribe: inner.subscribe.bind(inner),
    async headPosition() {
      if (store.broken) throw new Error(DRIVER_MESSAGE)
      return inner.headPosition()
    },
    ping: inner.ping.bind(inner),
    close: inner.close.bind(inner),
  }
  return store
}

function checkHelmet(t: Test, res: LightMyRequestResponse, what: string): void {
  for (const [name, pattern] of Object.entries(HELMET)) {
    t.match(String(res.headers[name] ?? ''), pattern, `${what}: ${name}`)
  }
  t.equal(res.headers['x-powered-by'], undefined, `${what}: no x-powered-by`)
}

t.test('every kind of answer carries the security headers; no error answer leaks internals', async (t) => {
  let store: ReturnType<typeof breakable> | undefined
  const h = await loggedHarness(t, { store: (dir) => (store = breakable(openSqliteStore(join(dir, 'ledger.db')))) })
  await s.setUp(h)
  await s.expectStatus(h, 'op1', 'POST', '/v1/learners/L-1/events', s.application('AB1'), 201)
  const json = { 'content-type': 'application/json' }
  const kinds: Array<{ what: string; as: KeyName | null; method?: 'GET' | 'POST'; url: string; payload?: string; headers?: Record<string, string>; status: number; type: RegExp }> = [
    { what: 'JSON', as: 'admin', url: '/v1/cohorts', status: 200, type: /application\/json/ },
    { what: 'CSV', as: 'admin', url: '/v1/cohorts?format=csv', status: 200, type: /text\/csv/ },
    { what: 'NDJSON audit stream', as: 'auditor', url: '/v1/audit/events', status: 200, type: /application\/x-ndjson/ },
    { what: 'streamed import answer', as: 'op1', method: 'POST', url: '/v1/imports', payload: '{"nope":1}\n', headers: { 'content-type': 'application/x-ndjson' }, status: 200, type: /application\/json/ },
    { what: 'dashboard page', as: null, url: '/', status: 200, type: /text\/html/ },
    { what: 'dashboard script', as: null, url: '/dashboard/app.js', status: 200, type: /javascript/ },
    { what: 'health', as: null, url: '/health/live', status: 200, type: /application\/json/ },
    { what: '400 validation', as: 'op1', method: 'POST', url: '/v1/learners/L-1/events', payload: '{"type":"Nope","data":{}}', headers: json, status: 400, type: /application\/json/ },
    { what: '400 invalid JSON', as: 'op1', method: 'POST', url: '/v1/learners/L-1/events', payload: '{"type":', headers: json, status: 400, type: /application\/json/ },
    { what: '400 __proto__', as: 'op1', method: 'POST', url: '/v1/learners/L-1/events', payload: '{"__proto__":{"x":1}}', headers: json, status: 400, type: /application\/json/ },
    { what: '401', as: null, url: '/v1/cohorts', status: 401, type: /application\/json/ },
    { what: '403', as: 'viewer', url: '/v1/learners/L-1', status: 403, type: /application\/json/ },
    { what: '404 route', as: 'admin', url: '/v1/nowhere', status: 404, type: /application\/json/ },
    { what: '404 learner', as: 'admin', url: '/v1/learners/L-404', status: 404, type: /application\/json/ },
    { what: '409 rule', as: 'admin', method: 'POST', url: '/v1/learners/L-2/events', payload: JSON.stringify(s.screened()), headers: json, status: 409, type: /application\/json/ },
    { what: '413', as: 'admin', method: 'POST', url: '/v1/operators', payload: JSON.stringify({ name: 'x'.repeat(1_100_000) }), headers: json, status: 413, type: /application\/json/ },
    { what: '415', as: 'admin', method: 'POST', url: '/v1/operators', payload: 'hello', headers: { 'content-type': 'text/plain' }, status: 415, type: /application\/json/ },
  ]
  for (const k of kinds) {
    const res = await h.call(k.as, { method: k.method ?? 'GET', url: k.url, payload: k.payload, headers: k.headers })
    t.equal(res.statusCode, k.status, `${k.what}: status (${res.body.slice(0, 100)})`)
    t.match(String(res.headers['content-type']), k.type, `${k.what}: content type`)
    checkHelmet(t, res, k.what)
    if (res.statusCode >= 400) {
      t.notMatch(res.body, LEAK, `${k.what}: no internals in the answer`)
      t.match(res.json(), { statusCode: k.status, code: String, message: String }, `${k.what}: the error shape`)
    }
  }

  // A store that throws a raw driver error: 500, the bare error shape, the cause in the log only.
  store!.broken = true
  for (const [as, method, url, payload] of [
    ['auditor', 'GET', '/v1/learners/L-1/events', undefined],
    ['op1', 'POST', '/v1/learners/L-1/events', JSON.stringify(s.screened())],
    ['auditor', 'GET', '/v1/audit/events', undefined],
  ] as const) {
    const res = await h.call(as, { method, url, payload, headers: payload ? json : {} })
    t.equal(res.statusCode, 500, `${method} ${url} on a broken store`)
    t.same(res.json(), { statusCode: 500, code: 'internal', message: 'internal error' }, 'nothing of the cause is sent')
    t.notMatch(res.body, LEAK)
    checkHelmet(t, res, `500 ${url}`)
    const logged = h.logs.find((l) => l.reqId === res.headers['x-request-id'] && l.level === 50)
    t.match(logged, { err: { message: DRIVER_MESSAGE } }, 'the cause is logged at error with the request id')
  }
  store!.broken = false
})

t.test('the keys file holds only hashes of the keys', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-keys-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'keys.json')
  const { created, adminKey } = ensureKeysFile(file)
  t.ok(created && adminKey)
  const { key } = addKey(file, { role: 'auditor', id: 'aud' })
  const text = readFileSync(file, 'utf8')
  for (const k of [adminKey!, key]) {
    t.notOk(text.includes(k), 'the key itself is not in the file')
    t.ok(text.includes(hashKey(k)), 'its SHA-256 is')
  }
  const entries = JSON.parse(text) as Array<Record<string, unknown>>
  t.same(entries.map((e) => Object.keys(e).sort()), [['id', 'role', 'sha256'], ['id', 'role', 'sha256']], 'no other field')
})

t.test('LEDGER_DOCS=false: /docs and /openapi.json answer 404', async (t) => {
  const on = await harness(t)
  const off = await harness(t, { env: { LEDGER_DOCS: 'false' } })
  for (const url of ['/docs', '/docs/', '/openapi.json']) {
    const shown = await on.call(null, { method: 'GET', url })
    t.not(shown.statusCode, 404, `${url} with docs on`)
    const hidden = await off.call(null, { method: 'GET', url })
    t.equal(hidden.statusCode, 404, `${url} with LEDGER_DOCS=false`)
    checkHelmet(t, hidden, `404 ${url}`)
  }
})
