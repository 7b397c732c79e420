import t from 'tap'
import { upload } from '../support/upload'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { addKey, hashKey, KeyRing, loadKeys, type ApiKeyEntry } from '../../src/auth/keys'
import { loadConfig, type Config } from '../../src/config'
import { RuleViolation } from '../../src/errors'
import { buildApp, type AppDeps } from '../../src/http/app'
import { errorResponses } from '../../src/http/schemas'

const KEYS = { admin: 'key-admin', operator: 'key-operator', viewer: 'key-viewer' }
const ENTRIES: ApiKeyEntry[] = [
  { id: 'root', role: 'admin', sha256: hashKey(KEYS.admin) },
  { id: 'casa-ops', role: 'operator', operatorId: 'OP-1', sha256: hashKey(KEYS.operator) },
  { id: 'board', role: 'viewer', sha256: hashKey(KEYS.viewer) },
]
const bearer = (key: string) => ({ authorization: `Bearer ${key}` })

/** A small real route set: what the lead's routes look like, with every failure mode reachable. */
const testRoutes: FastifyPluginAsync = async (base) => {
  const app = base.withTypeProvider<ZodTypeProvider>()
  app.post('/v1/echo', {
    config: { roles: ['admin'] },
    schema: {
      body: z.strictObject({ name: z.string().min(1), count: z.number().int() }),
      querystring: z.strictObject({ times: z.coerce.number().int().positive().optional() }),
      response: { 200: z.object({ name: z.string(), count: z.number() }), ...errorResponses(400) },
    },
  }, async (request) => ({ name: request.body.name, count: request.body.count * (request.query.times ?? 1) }))
  app.get('/v1/whoami', { config: { roles: ['operator', 'viewer'] } }, async (request) => ({ actor: request.actor }))
  app.get('/v1/conflict', { config: { roles: ['viewer'] } }, async () => {
    throw new RuleViolation('cohort-full', 'the cohort is full', { capacity: 20 })
  })
  app.get('/v1/boom', { config: { roles: ['viewer'] } }, async () => {
    throw new Error('SQLITE_CORRUPT: database disk image is malformed at /var/secret/path')
  })
  app.get('/v1/bad-answer', { config: { roles: ['viewer'] }, schema: { response: { 200: z.object({ n: z.number() }) } } }, async () =>
    JSON.parse('{"n":"not a number"}'))
  app.get('/public', async (request) => ({ actor: request.actor ?? null }))
}

interface Built {
  app: FastifyInstance
  logs: string[]
  config: Config
}

function configFor(t: tap.Test, env: Record<string, string> = {}): Config {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'ledger-infra-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  return loadConfig({ LEDGER_DATA_DIR: dataDir, ...env })
}

/** A fresh app per test, closed in teardown; its log lines are captured for inspection. */
async function build(t: tap.Test, options: { env?: Record<string, string>; deps?: Partial<AppDeps>; level?: string } = {}): Promise<Built> {
  const config = configFor(t, options.env)
  const logs: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString())
      done()
    },
  })
  const app = await buildApp({
    config,
    keys: new KeyRing(ENTRIES),
    readiness: async () => ({ ready: true, checks: { store: 'ok' } }),
    routes: [testRoutes],
    logger: { level: options.level ?? 'info', stream },
    ...options.deps,
  })
  t.teardown(() => app.close())
  return { app, logs, config }
}

const echo = (headers: Record<string, string>, payload: unknown, url = '/v1/echo') =>
  ({ method: 'POST' as const, url, headers, payload: payload as string })

t.test('a request without a key, or with a wrong one, answers 401 with WWW-Authenticate', async (t) => {
  const { app } = await build(t)
  const none = await app.inject(echo({}, { name: 'a', count: 1 }))
  t.equal(none.statusCode, 401)
  t.same(none.json(), { statusCode: 401, code: 'unauthorized', message: 'an API key is required: Authorization: Bearer <key>' })
  t.match(none.headers['www-authenticate'], /^Bearer realm="placement-ledger"$/)

  const wrong = await app.inject(echo(bearer('not-a-key'), { name: 'a', count: 1 }))
  t.equal(wrong.statusCode, 401)
  t.equal(wrong.json().code, 'unauthorized')
  t.match(wrong.headers['www-authenticate'], /error="invalid_token"/)

  const basic = await app.inject(echo({ authorization: `Basic ${KEYS.admin}` }, { name: 'a', count: 1 }))
  t.equal(basic.statusCode, 401, 'only the Bearer scheme is accepted')

  for (const method of ['GET', 'HEAD'] as const) {
    t.equal((await app.inject({ method, url: '/v1/whoami' })).statusCode, 401, `${method} without a key`)
  }

  const ok = await app.inject(echo(bearer(KEYS.admin), { name: 'a', count: 2 }))
  t.equal(ok.statusCode, 200)
  t.same(ok.json(), { name: 'a', count: 2 })
})

t.test('a role the route does not name answers 403; admin may call every route', async (t) => {
  const { app } = await build(t)
  const viewer = await app.inject(echo(bearer(KEYS.viewer), { name: 'a', count: 1 }))
  t.equal(viewer.statusCode, 403)
  t.same(Object.keys(viewer.json()).sort(), ['code', 'message', 'statusCode'])
  t.equal(viewer.json().code, 'forbidden')

  const operator = await app.inject({ method: 'GET', url: '/v1/whoami', headers: bearer(KEYS.operator) })
  t.equal(operator.statusCode, 200)
  t.same(operator.json(), { actor: { keyId: 'casa-ops', role: 'operator', operatorId: 'OP-1' } })

  const admin = await app.inject({ method: 'GET', url: '/v1/whoami', headers: bearer(KEYS.admin) })
  t.equal(admin.statusCode, 200, 'admin is allowed without being listed')
  t.same(admin.json(), { actor: { keyId: 'root', role: 'admin' } })
})

t.test('the role check comes before the body is read: a refused request never reaches validation', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ method: 'POST', url: '/v1/echo', headers: { 'content-type': 'application/json' }, payload: '{broken' })
  t.equal(res.statusCode, 401)
})

t.test('routes without roles are public and see the actor when a valid key is sent', async (t) => {
  const { app } = await build(t)
  t.same((await app.inject({ method: 'GET', url: '/public' })).json(), { actor: null })
  t.same((await app.inject({ method: 'GET', url: '/public', headers: bearer('wrong') })).json(), { actor: null })
  t.same((await app.inject({ method: 'GET', url: '/public', headers: bearer(KEYS.viewer) })).json(), { actor: { keyId: 'board', role: 'viewer' } })
})

t.test('a /v1 route that declares no roles, or an unknown role, stops the build', async (t) => {
  const config = configFor(t)
  const deps = { config, keys: new KeyRing(ENTRIES), readiness: async () => ({ ready: true, checks: {} }), logger: false }
  await t.rejects(
    buildApp({ ...deps, routes: [async (app) => { app.get('/v1/open', async () => 'oops') }] }),
    /GET \/v1\/open declares no config.roles/,
  )
  await t.rejects(
    buildApp({ ...deps, routes: [async (app) => { app.get('/v1/typo', { config: { roles: JSON.parse('["admn"]') } }, async () => 'x') }] }),
    /unknown role 'admn'/,
  )
})

t.test('a body that fails its strict zod schema answers 400 validation naming each bad field, with the zod issues', async (t) => {
  const { app } = await build(t)
  const res = await app.inject(echo(bearer(KEYS.admin), { name: '', count: 1.5, extra: true }))
  t.equal(res.statusCode, 400)
  const body = res.json()
  t.equal(body.code, 'validation')
  t.equal(body.statusCode, 400)
  t.equal(body.message, 'invalid body: name: must not be empty; count: expected an integer; extra: unknown field')
  t.match(body.details, [
    { code: 'too_small', path: ['name'], message: String },
    { code: 'invalid_type', path: ['count'], expected: 'int' },
    { code: 'unrecognized_keys', path: [], keys: ['extra'] },
  ])

  const query = await app.inject(echo(bearer(KEYS.admin), { name: 'a', count: 1 }, '/v1/echo?times=0&junk=1'))
  t.equal(query.statusCode, 400)
  t.equal(query.json().message, 'invalid querystring: times: greater than 0; junk: unknown parameter')
  t.ok(query.json().details.some((i: { code: string }) => i.code === 'unrecognized_keys'), 'unknown query fields are rejected')
})

t.test('malformed JSON and an empty JSON body answer 400 invalid-json', async (t) => {
  const { app } = await build(t)
  const json = { ...bearer(KEYS.admin), 'content-type': 'application/json' }
  const malformed = await app.inject({ method: 'POST', url: '/v1/echo', headers: json, payload: '{"name": "a",' })
  t.equal(malformed.statusCode, 400)
  t.same(malformed.json(), { statusCode: 400, code: 'invalid-json', message: 'the body is not valid JSON' })

  const empty = await app.inject({ method: 'POST', url: '/v1/echo', headers: json, payload: '' })
  t.equal(empty.statusCode, 400)
  t.equal(empty.json().code, 'invalid-json')

  const missing = await app.inject({ method: 'POST', url: '/v1/echo', headers: bearer(KEYS.admin) })
  t.equal(missing.statusCode, 400, 'no body and no content type: the schema says what is missing')
  t.equal(missing.json().code, 'validation')
})

t.test('a text/plain body answers 415 unsupported-media-type', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ method: 'POST', url: '/v1/echo', headers: { ...bearer(KEYS.admin), 'content-type': 'text/plain' }, payload: 'name=a' })
  t.equal(res.statusCode, 415)
  t.same(res.json(), { statusCode: 415, code: 'unsupported-media-type', message: 'content type text/plain is not accepted here' })
})

t.test('a JSON body over 1 MiB answers 413 payload-too-large', async (t) => {
  const { app } = await build(t)
  const payload = JSON.stringify({ name: 'x'.repeat(1024 * 1024), count: 1 })
  const res = await app.inject({ method: 'POST', url: '/v1/echo', headers: { ...bearer(KEYS.admin), 'content-type': 'application/json' }, payload })
  t.equal(res.statusCode, 413)
  t.same(res.json(), { statusCode: 413, code: 'payload-too-large', message: 'the body is larger than the 1048576 bytes accepted here' })
})

/** A JSON body to /v1/echo over a real socket, in chunks, the way a client uploading a big file sends it. */
const uploadEcho = (port: number, agent: http.Agent, body: Buffer, chunked: boolean) => upload({
  port, agent, body, chunked, path: '/v1/echo', chunkBytes: 64 * 1024,
  headers: { 'content-type': 'application/json', ...bearer(KEYS.admin) },
})

t.test('over a real connection the client receives the 413, and the connection stays usable', async (t) => {
  const { app } = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  const big = Buffer.from(JSON.stringify({ name: 'x'.repeat(8 * 1024 * 1024), count: 1 }))
  const small = Buffer.from(JSON.stringify({ name: 'ok', count: 3 }))
  for (const chunked of [false, true]) {
    const refused = await uploadEcho(port, agent, big, chunked)
    t.equal(refused.status, 413, `413 received (${chunked ? 'chunked' : 'content-length'})`)
    t.equal(JSON.parse(refused.body).code, 'payload-too-large')
    const next = await uploadEcho(port, agent, small, chunked)
    t.equal(next.status, 200)
  }
})

t.test('an unknown route answers 404 in the error shape', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ method: 'GET', url: '/v1/nothing-here?x=1' })
  t.equal(res.statusCode, 404)
  t.same(res.json(), { statusCode: 404, code: 'not-found', message: 'no route GET /v1/nothing-here' })
})

t.test('a LedgerError keeps its status, code, message and details', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ method: 'GET', url: '/v1/conflict', headers: bearer(KEYS.viewer) })
  t.equal(res.statusCode, 409)
  t.same(res.json(), { statusCode: 409, code: 'cohort-full', message: 'the cohort is full', details: { capacity: 20 } })
})

t.test('an unexpected error answers 500 internal and hides its message, which is logged with the request id', async (t) => {
  const { app, logs } = await build(t)
  const res = await app.inject({ method: 'GET', url: '/v1/boom', headers: { ...bearer(KEYS.viewer), 'x-request-id': 'trace-500' } })
  t.equal(res.statusCode, 500)
  t.same(res.json(), { statusCode: 500, code: 'internal', message: 'internal error' })
  t.notMatch(res.body, /SQLITE|secret|stack/)
  const errors = logs.map((l) => JSON.parse(l)).filter((l) => l.level === 50)
  t.equal(errors.length, 1, 'the failure is logged once, at error')
  t.match(errors[0], { reqId: 'trace-500', err: { message: /SQLITE_CORRUPT/ } }, 'with its cause and the request id')

  const serialization = await app.inject({ method: 'GET', url: '/v1/bad-answer', headers: bearer(KEYS.viewer) })
  t.equal(serialization.statusCode, 500, 'an answer that breaks its own schema is an internal error too')
  t.same(serialization.json(), { statusCode: 500, code: 'internal', message: 'internal error' })
})

t.test('the rate limit answers 429 rate-limited with Retry-After, per key', async (t) => {
  const { app } = await build(t, { env: { LEDGER_RATE_LIMIT: '2' } })
  const call = (key: string) => app.inject({ method: 'GET', url: '/v1/whoami', headers: bearer(key) })
  t.equal((await call(KEYS.viewer)).statusCode, 200)
  t.equal((await call(KEYS.viewer)).statusCode, 200)
  const limited = await call(KEYS.viewer)
  t.equal(limited.statusCode, 429)
  t.equal(limited.json().code, 'rate-limited')
  t.same(Object.keys(limited.json()).sort(), ['code', 'message', 'statusCode'])
  t.match(limited.headers['retry-after'], /^\d+$/)
  t.ok(Number(limited.headers['retry-after']) > 0 && Number(limited.headers['retry-after']) <= 60, 'Retry-After is in seconds, within the minute')
  t.equal((await call(KEYS.operator)).statusCode, 200, 'another key has its own budget')
  for (let i = 0; i < 3; i++) t.equal((await app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200, 'health is not limited')
})

t.test('without a valid key the rate limit counts per client address', async (t) => {
  const { app } = await build(t, { env: { LEDGER_RATE_LIMIT: '1' } })
  t.equal((await app.inject({ method: 'GET', url: '/public', remoteAddress: '10.0.0.1' })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/public', remoteAddress: '10.0.0.1', headers: bearer('wrong') })).statusCode, 429)
  t.equal((await app.inject({ method: 'GET', url: '/public', remoteAddress: '10.0.0.2' })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/public', remoteAddress: '10.0.0.1', headers: { 'x-forwarded-for': '10.9.9.9' } })).statusCode, 429, 'X-Forwarded-For is not trusted')
})

t.test('security headers are set, with a same-origin CSP that does not force https', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ method: 'GET', url: '/health/live' })
  const csp = String(res.headers['content-security-policy'])
  t.match(csp, /default-src 'self'/)
  t.match(csp, /script-src 'self'/)
  t.notMatch(csp, /upgrade-insecure-requests/)
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  t.equal(res.headers['x-frame-options'], 'SAMEORIGIN')
  // HSTS only over HTTPS (security.ts); this request came over plain HTTP.
  t.notOk(res.headers['strict-transport-security'])
  t.notOk(res.headers['x-powered-by'])
})

t.test('the request id: a sane incoming x-request-id is echoed, anything else is replaced by a UUID', async (t) => {
  const { app } = await build(t)
  const kept = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'client-req_42' } })
  t.equal(kept.headers['x-request-id'], 'client-req_42')
  const replaced = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'bad id\twith "quotes"' } })
  t.match(replaced.headers['x-request-id'], /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  const fresh = await app.inject({ method: 'GET', url: '/health/live' })
  t.match(fresh.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  t.not(fresh.headers['x-request-id'], replaced.headers['x-request-id'])
})

t.test('logs carry neither the API key nor the body', async (t) => {
  // At debug: successful requests are logged there, and they must not leak either.
  const { app, logs } = await build(t, { level: 'debug' })
  app.get('/headers-logged', async (request) => {
    request.log.info({ headers: request.headers }, 'headers')
    return {}
  })
  await app.inject({ method: 'GET', url: '/headers-logged', headers: bearer(KEYS.admin) })
  await app.inject(echo(bearer(KEYS.admin), { name: 'AB123456-national', count: 'x' }))
  await app.inject(echo(bearer(KEYS.admin), { name: 'CD987654-national', count: 1 }))
  const all = logs.join('')
  t.ok(logs.length >= 6, 'requests were logged')
  t.match(all, /\[redacted\]/, 'a logged authorization header is redacted')
  t.notMatch(all, new RegExp(KEYS.admin))
  t.notMatch(all, /AB123456|CD987654/)
})

t.test('the OpenAPI document lists the routes, the bearer scheme and who may call what', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ method: 'GET', url: '/openapi.json' })
  t.equal(res.statusCode, 200)
  const doc = res.json()
  t.match(doc.openapi, /^3\./)
  t.equal(doc.info.title, 'Placement ledger API')
  t.match(doc.info.description, /silent/)
  t.same(doc.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer', description: 'an API key from the keys file' })
  const op = doc.paths['/v1/echo'].post
  t.same(op.security, [{ bearerAuth: [] }])
  t.match(op.description, /Roles: admin\./)
  t.same(op.requestBody.content['application/json'].schema.required, ['name', 'count'])
  t.equal(op.requestBody.content['application/json'].schema.additionalProperties, false)
  t.ok(op.responses['401'] && op.responses['403'] && op.responses['429'])
  t.ok(doc.components.schemas.Error, 'the error body is a shared component')
  t.notOk(doc.paths['/health/live'].get.security, 'health is public')
  t.notOk(doc.paths['/openapi.json'], 'the document does not list itself')
  t.notOk(Object.keys(doc.paths).some((p: string) => p.startsWith('/docs')))
})

t.test('/docs serves Swagger UI from the package, with no CDN', async (t) => {
  const { app } = await build(t)
  const page = await app.inject({ method: 'GET', url: '/docs' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /text\/html/)
  t.match(page.body, /swagger-ui/)
  t.notMatch(page.body, /(src|href)="https?:\/\//, 'every asset is local')
  const bundle = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' })
  t.equal(bundle.statusCode, 200)
  t.match(bundle.headers['content-type'], /javascript/)
})

t.test('with docs off, /docs and /openapi.json answer 404', async (t) => {
  const { app } = await build(t, { env: { LEDGER_DOCS: 'false' } })
  for (const url of ['/docs', '/docs/static/swagger-ui-bundle.js', '/openapi.json']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 404, url)
    t.equal(res.json().code, 'not-found')
  }
  t.equal((await app.inject({ method: 'GET', url: '/v1/whoami', headers: bearer(KEYS.viewer) })).statusCode, 200, 'routes still work')
})

t.test('health: live is 200; ready follows the readiness check, 503 when not ready or when it throws', async (t) => {
  const live = await build(t)
  t.same((await live.app.inject({ method: 'GET', url: '/health/live' })).json(), { status: 'ok' })
  const ready = await live.app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ready', checks: { store: 'ok' } })

  const behind = await build(t, { deps: { readiness: async () => ({ ready: false, checks: { position: 3, head: 9 } }) } })
  const notReady = await behind.app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(notReady.statusCode, 503)
  t.same(notReady.json(), { status: 'not-ready', checks: { position: 3, head: 9 } })

  const broken = await build(t, { deps: { readiness: async () => { throw new Error('connection refused 10.0.0.5:2113') } } })
  const failed = await broken.app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(failed.statusCode, 503)
  t.same(failed.json(), { status: 'not-ready', checks: { error: 'readiness check failed' } })
})

t.test('a key added to the keys file while the app runs is accepted without a restart', async (t) => {
  const config = configFor(t)
  const file = path.join(config.dataDir, 'keys.json')
  addKey(file, { role: 'admin', id: 'first' })
  const keys = loadKeys(file, { recheckMs: 0 })
  const app = await buildApp({ config, keys, readiness: async () => ({ ready: true, checks: {} }), routes: [testRoutes], logger: false })
  t.teardown(() => app.close())
  const { key } = addKey(file, { role: 'viewer', id: 'late' })
  const res = await app.inject({ method: 'GET', url: '/v1/whoami', headers: bearer(key) })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { actor: { keyId: 'late', role: 'viewer' } })
})

t.test('a key added to the keys file works on the very next request', async (t) => {
  const config = configFor(t)
  const file = path.join(config.dataDir, 'keys.json')
  const first = addKey(file, { role: 'viewer', id: 'board' })
  // A clock that never moves: the once-a-second re-check never comes due by itself.
  const { app } = await build(t, { deps: { keys: loadKeys(file, { recheckMs: 1000, now: () => 0 }) } })
  t.equal((await app.inject({ method: 'GET', url: '/v1/whoami', headers: bearer(first.key) })).statusCode, 200)
  const added = addKey(file, { role: 'operator', operatorId: 'OP-9', id: 'just-added' })
  const res = await app.inject({ method: 'GET', url: '/v1/whoami', headers: bearer(added.key) })
  t.equal(res.statusCode, 200, 'not a 401 while the ring waits for its re-check')
  t.match(res.json(), { actor: { keyId: 'just-added', operatorId: 'OP-9' } })
  t.equal((await app.inject({ method: 'GET', url: '/v1/whoami', headers: bearer('never-added') })).statusCode, 401)
})
