/**
 * Transport and edge answers (issue, low): HSTS was sent over plain HTTP, the dashboard's CSP
 * allowed `style-src 'unsafe-inline' https:`, and a 431 (headers too large) or a path parameter
 * over the router's limit were answered outside the error shape `{statusCode, code, message}`.
 */
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import Fastify from 'fastify'
import { KeyRing } from '../../src/auth/keys'
import { authPlugin } from '../../src/http/plugins/auth'
import { errorsPlugin } from '../../src/http/plugins/errors'
import { HSTS, securityPlugin } from '../../src/http/plugins/security'
import { harness } from '../support/harness'

/** CSP directives by name. */
function csp(header: unknown): Map<string, string[]> {
  return new Map(String(header).split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]))
}

t.test('over plain HTTP no answer carries HSTS, even when a client claims X-Forwarded-Proto: https', async (t) => {
  const h = await harness(t)
  for (const url of ['/', '/v1/cohorts', '/v1/nowhere', '/health/live']) {
    for (const headers of [{}, { 'x-forwarded-proto': 'https' }]) {
      const res = await h.call(url === '/v1/cohorts' ? null : 'admin', { method: 'GET', url, headers })
      t.equal(res.headers['strict-transport-security'], undefined, `${url} ${JSON.stringify(headers)} (${res.statusCode})`)
    }
  }
})

t.test('over HTTPS as fastify sees it (a trusted proxy\'s X-Forwarded-Proto), every answer carries HSTS', async (t) => {
  // The service runs with trustProxy off (app.ts); a deployment that trusts its proxy gets this.
  const app = Fastify({ trustProxy: true })
  t.teardown(() => app.close())
  await app.register(errorsPlugin)
  await app.register(authPlugin, { keys: new KeyRing([]) })
  await app.register(securityPlugin, { rateLimitPerMinute: 100 })
  app.get('/page', async () => ({ ok: true }))
  for (const url of ['/page', '/nowhere']) {
    const https = await app.inject({ method: 'GET', url, headers: { 'x-forwarded-proto': 'https' } })
    t.equal(https.headers['strict-transport-security'], HSTS, `${url} over https (${https.statusCode})`)
    const http = await app.inject({ method: 'GET', url, headers: { 'x-forwarded-proto': 'http' } })
    t.equal(http.headers['strict-transport-security'], undefined, `${url} over http`)
  }
})

t.test('CSP: styles from this origin only, no inline style, no other host', async (t) => {
  const h = await harness(t)
  for (const url of ['/', '/docs/', '/v1/cohorts']) {
    const res = await h.call(null, { method: 'GET', url })
    const directives = csp(res.headers['content-security-policy'])
    t.same(directives.get('style-src'), ["'self'"], `${url}: style-src`)
    t.same(directives.get('script-src'), ["'self'"], `${url}: script-src`)
    t.notOk([...directives.values()].flat().includes("'unsafe-inline'"), `${url}: 'unsafe-inline' nowhere`)
  }
})

t.test('a path parameter over the router\'s limit: 414 in the error shape, with the security headers', async (t) => {
  const h = await harness(t)
  for (const url of [`/v1/learners/${'a'.repeat(101)}`, `/v1/cohorts/${'a'.repeat(500)}/roster`]) {
    const res = await h.call('admin', { method: 'GET', url })
    t.equal(res.statusCode, 414, url.slice(0, 30))
    t.match(res.headers['content-type'], /^application\/json/)
    t.same(Object.keys(res.json()).sort(), ['code', 'message', 'statusCode'])
    t.match(res.json(), { statusCode: 414, code: 'uri-too-long', message: String })
    t.notMatch(res.body, /aaaaaaaaaa/, 'the path is not echoed back')
    t.match(String(res.headers['content-security-policy']), /default-src 'self'/)
    t.equal(res.headers['x-content-type-options'], 'nosniff')
  }
  // Under the router's limit, the route's own schema answers.
  const schema = await h.call('admin', { method: 'GET', url: `/v1/learners/${'a'.repeat(65)}` })
  t.match(schema.json(), { statusCode: 400, code: 'validation' })
  const badUrl = await h.call('admin', { method: 'GET', url: '/v1/learners/%E0%A4%A' })
  t.match(badUrl.json(), { statusCode: 400, code: 'bad-request', message: String }, 'a path that is not valid URL encoding')
})

/** One GET over a fresh connection. */
function get(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => { body += d })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }))
    })
    req.on('error', reject)
    req.end()
  })
}

t.test('headers over Node\'s limit: 431 in the error shape', async (t) => {
  const h = await harness(t)
  await h.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = h.app.server.address() as AddressInfo
  for (const headers of [{ 'x-padding': 'x'.repeat(20_000) }, Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`x-h${i}`, 'y'.repeat(50)]))]) {
    const res = await get(port, '/v1/cohorts', headers)
    t.equal(res.status, 431)
    t.match(res.type, /^application\/json/)
    const body = JSON.parse(res.body) as Record<string, unknown>
    t.same(Object.keys(body).sort(), ['code', 'message', 'statusCode'])
    t.match(body, { statusCode: 431, code: 'headers-too-large', message: String })
  }
  const long = await get(port, `/v1/cohorts?after=${'a'.repeat(20_000)}`, {})
  t.match(JSON.parse(long.body), { statusCode: 431, code: 'headers-too-large' }, 'a request line over the limit too')
  t.equal((await get(port, '/health/live', {})).status, 200, 'the server answers the next connection')
})
