/**
 * What `serve` logs about requests, and how it reads: a request that went well at debug only, a
 * refused one (4xx) at info and a failed one (5xx) at warn, each answered request in one line
 * with method, url, status and time. Human-readable lines on a terminal, JSON otherwise.
 */
import { Writable } from 'node:stream'
import type { FastifyPluginAsync } from 'fastify'
import pino from 'pino'
import t from 'tap'
import { hashKey, KeyRing } from '../../src/auth/keys'
import { loadConfig } from '../../src/config'
import { buildApp } from '../../src/http/app'
import { loggerOptions, logsArePretty, prettyMessage, prettyStream } from '../../src/http/plugins/logging'
import { tempDir, type Teardown } from './support'

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 }
const KEY = 'key-viewer'

const routes: FastifyPluginAsync = async (app) => {
  app.get('/v1/fine', { config: { roles: ['viewer'] } }, async () => ({ fine: true }))
  app.get('/v1/broken', { config: { roles: ['viewer'] } }, async () => {
    throw new Error('the disk said no')
  })
}

/** Every line written to `lines`, as text. */
function sink(lines: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''))
      done()
    },
  })
}

async function app(t: Teardown, level: string, stream: Writable | object) {
  const config = loadConfig({ LEDGER_DATA_DIR: tempDir(t), LOG_LEVEL: level })
  const built = await buildApp({
    config,
    keys: new KeyRing([{ id: 'board', role: 'viewer', sha256: hashKey(KEY) }]),
    readiness: async () => ({ ready: true, checks: {} }),
    routes: [routes],
    logger: { stream },
  })
  t.teardown(() => built.close())
  return built
}

type Line = { level: number; req?: { method: string; url: string }; res?: { statusCode: number }; responseTime?: number; reqId?: string }

/** The lines about one request (its reqId), in order. */
const about = (lines: string[], reqId: string): Line[] =>
  lines.map((l) => JSON.parse(l) as Line).filter((l) => l.reqId === reqId && l.req !== undefined)

t.test('at debug: a good request has its arrival and its answer at debug', async (t) => {
  const lines: string[] = []
  const service = await app(t, 'debug', sink(lines))
  const res = await service.inject({ method: 'GET', url: '/v1/fine', headers: { authorization: `Bearer ${KEY}`, 'x-request-id': 'good-1' } })
  t.equal(res.statusCode, 200)
  const [arrived, answered, ...more] = about(lines, 'good-1')
  t.match(arrived, { level: LEVELS.debug, req: { method: 'GET', url: '/v1/fine' } })
  t.notOk(arrived.res, 'the arrival has no answer yet')
  t.match(answered, { level: LEVELS.debug, req: { method: 'GET', url: '/v1/fine' }, res: { statusCode: 200 }, responseTime: Number })
  t.same(more, [])
})

t.test('at info: good requests leave no line; refused ones one line at info, failed ones at warn', async (t) => {
  const lines: string[] = []
  const service = await app(t, 'info', sink(lines))
  const auth = { authorization: `Bearer ${KEY}` }
  for (let i = 0; i < 5; i++) await service.inject({ method: 'GET', url: '/v1/fine', headers: { ...auth, 'x-request-id': `good-${i}` } })
  await service.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'health' } })
  for (let i = 0; i < 5; i++) t.same(about(lines, `good-${i}`), [], `good-${i}: nothing at info`)
  t.same(about(lines, 'health'), [])

  const missing = await service.inject({ method: 'GET', url: '/v1/nowhere', headers: { ...auth, 'x-request-id': 'missing' } })
  t.equal(missing.statusCode, 404)
  t.match(about(lines, 'missing'), [{ level: LEVELS.info, req: { method: 'GET', url: '/v1/nowhere' }, res: { statusCode: 404 }, responseTime: Number }])
  const anonymous = await service.inject({ method: 'GET', url: '/v1/fine', headers: { 'x-request-id': 'anonymous' } })
  t.equal(anonymous.statusCode, 401)
  t.match(about(lines, 'anonymous'), [{ level: LEVELS.info, res: { statusCode: 401 } }])

  const broken = await service.inject({ method: 'GET', url: '/v1/broken', headers: { ...auth, 'x-request-id': 'broken' } })
  t.equal(broken.statusCode, 500)
  t.match(about(lines, 'broken'), [{ level: LEVELS.warn, req: { url: '/v1/broken' }, res: { statusCode: 500 } }])
  const cause = lines.map((l) => JSON.parse(l)).find((l) => l.reqId === 'broken' && l.level === LEVELS.error)
  t.match(cause, { err: { message: 'the disk said no' } }, 'the cause is still logged at error, apart')
})

t.test('pretty lines: one human line per entry, the request line as method, url, status and time', async (t) => {
  const lines: string[] = []
  const service = await app(t, 'info', prettyStream(sink(lines)))
  await service.inject({ method: 'GET', url: '/v1/nowhere', headers: { authorization: `Bearer ${KEY}`, 'x-request-id': 'pretty-404' } })
  const line = lines.find((l) => l.includes('/v1/nowhere'))
  t.ok(line, 'the request line is there')
  t.notMatch(line!, /^\{/, 'not JSON')
  t.match(line!, /INFO.*GET \/v1\/nowhere 404 \d+\.\dms \[pretty-404\]/)

  lines.length = 0
  const log = pino(loggerOptions({ logLevel: 'info' }) as pino.LoggerOptions, prettyStream(sink(lines)))
  log.info({ learners: 5 }, 'hello')
  t.equal(lines.length, 1, 'other fields stay on the same line')
  t.match(lines[0], /INFO: hello \{"learners":5\}$/)
  log.info({ demo: { outcome: 'written', events: 12 } }, 'demo ready')
  t.match(lines[1], /INFO: demo ready$/, 'the demo line is its message alone: its fields repeat it for JSON readers')
})

t.test('prettyMessage: requests arriving and answered, and any other line', async (t) => {
  const req = { method: 'POST', url: '/v1/imports' }
  t.equal(prettyMessage({ msg: 'incoming request', req, reqId: 'r1' }, 'msg'), '<-- POST /v1/imports [r1]')
  t.equal(prettyMessage({ msg: 'request completed', req, res: { statusCode: 201 }, responseTime: 12.345, reqId: 'r1' }, 'msg'), '--> POST /v1/imports 201 12.3ms [r1]')
  t.equal(prettyMessage({ msg: 'shutting down' }, 'msg'), 'shutting down')
})

t.test('pretty on a terminal, JSON otherwise, unless LOG_FORMAT says', async (t) => {
  t.equal(logsArePretty(undefined, true), true)
  t.equal(logsArePretty(undefined, false), false)
  t.equal(logsArePretty('json', true), false)
  t.equal(logsArePretty('pretty', false), true)
  t.equal(loadConfig({ LOG_FORMAT: 'pretty' }).logFormat, 'pretty')
  t.notOk('logFormat' in loadConfig({}), 'unset: chosen by the terminal')
  t.throws(() => loadConfig({ LOG_FORMAT: 'xml' }), { message: /^LOG_FORMAT must be one of json, pretty/ })
})
