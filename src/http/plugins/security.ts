/**
 * Security headers, the per-key rate limit, and the answers fastify makes before any hook runs.
 * Body limits, timeouts and trustProxy are fastify constructor options (app.ts), and so are the
 * two handlers of `edgeErrorOptions` below.
 *
 * CSP: helmet's defaults, with styles from this origin only (helmet allows `'unsafe-inline'`
 * and any https: host; the dashboard and the bundled Swagger UI load stylesheets from here and
 * set styles only through the CSSOM, which CSP does not restrict), and without
 * `upgrade-insecure-requests`: the service itself speaks plain HTTP (TLS is a proxy's job), and
 * that directive would send browsers to https URLs it does not serve.
 *
 * HSTS (Strict-Transport-Security) only on an answer to a request that came over HTTPS, as
 * RFC 6797 section 7.2 requires: sent over plain HTTP it is meaningless at best. "Over HTTPS" is
 * what fastify says `request.protocol` is: TLS on the socket, or X-Forwarded-Proto from a proxy
 * fastify trusts (trustProxy). As configured in app.ts (no TLS, no trusted proxy) the service
 * never sends it; the TLS-terminating proxy is the one to add it.
 *
 * helmet's middleware is built once, here: @fastify/helmet rebuilt it (parsing the CSP
 * directives again) on every request, a few percent of all CPU under load. The headers are the
 * same on every answer, set in onRequest so that errors answered later (404, 413, 415, 5xx)
 * carry them too. No route needs CSP nonces or its own helmet options.
 */
import { maxHeaderSize, STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import helmet from 'helmet'
import rateLimit from '@fastify/rate-limit'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { LedgerError } from '../../errors'

/** Per key when the request carries a valid one (auth runs first), else per client address. */
export const rateLimitKey = (request: FastifyRequest): string =>
  request.actor ? `key:${request.actor.keyId}` : `ip:${request.ip}`

const helmetHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: true,
    directives: { 'upgrade-insecure-requests': null, 'style-src': ["'self'"] },
  },
  strictTransportSecurity: false,
})

/** helmet's value: a year, subdomains included. */
export const HSTS = 'max-age=31536000; includeSubDomains'

/** Sets the security headers of every answer on `reply`, then calls `done`. */
function securityHeaders(request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void {
  helmetHeaders(request.raw, reply.raw, (err?: unknown) => {
    // On the raw response, as helmet does: an error answered later keeps it.
    if (err === undefined && request.protocol === 'https') reply.raw.setHeader('strict-transport-security', HSTS)
    done(err as Error | undefined)
  })
}

export const securityPlugin = fp<{ rateLimitPerMinute: number }>(
  async (app, { rateLimitPerMinute }) => {
    app.addHook('onRequest', (request, reply, done) => securityHeaders(request, reply, done))
    await app.register(rateLimit, {
      max: rateLimitPerMinute,
      timeWindow: 60_000,
      keyGenerator: rateLimitKey,
      // Retry-After (seconds) is set by the plugin before this error reaches the error handler.
      errorResponseBuilder: (_request, context) =>
        new LedgerError(429, 'rate-limited', `more than ${context.max} requests a minute; retry in ${context.after}`),
    })
  },
  { name: 'ledger-security', fastify: '5.x', dependencies: ['ledger-auth', 'ledger-errors'] },
)

interface EdgeError {
  statusCode: number
  code: string
  message: string
}

/**
 * Requests Node's HTTP parser refuses (headers over its limit, a request not received in time,
 * malformed HTTP) never reach fastify's hooks or error handler: fastify writes its own body on
 * the socket. This answers them in the service's error shape instead; the connection is closed,
 * since the parser cannot tell where the next request would start.
 */
function clientErrorHandler(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  // The client is gone: nobody to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const body = clientErrorBody(error.code)
  this.log.info({ statusCode: body.statusCode, code: body.code, reason: error.code }, 'request refused before it was read')
  if (socket.writable) {
    const json = JSON.stringify(body)
    socket.write(
      `HTTP/1.1 ${body.statusCode} ${STATUS_CODES[body.statusCode]}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(json)}\r\n` +
      'X-Content-Type-Options: nosniff\r\n' +
      'Connection: close\r\n\r\n' +
      json,
    )
  }
  socket.destroy(error)
}

function clientErrorBody(reason: string | undefined): EdgeError {
  switch (reason) {
    case 'HPE_HEADER_OVERFLOW':
      return { statusCode: 431, code: 'headers-too-large', message: `the request line and headers are larger than the ${maxHeaderSize} bytes accepted` }
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { statusCode: 408, code: 'request-timeout', message: 'the request was not received in time' }
    default:
      return { statusCode: 400, code: 'bad-request', message: 'the request is not valid HTTP' }
  }
}

/**
 * The router's own refusals, made before any hook: a path parameter over fastify's
 * `maxParamLength` (every path parameter here is an id of at most 64 characters, checked with
 * the route's schema when the router lets it through), and a path that is not valid URL
 * encoding. Answered in the service's error shape, with the security headers of every answer.
 */
function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const body = frameworkErrorBody(error)
  if (body.statusCode >= 500) request.log.error({ err: error }, 'request failed')
  else request.log.info({ statusCode: body.statusCode, code: body.code }, 'request refused')
  securityHeaders(request, reply, () => { reply.code(body.statusCode).send(body) })
}

function frameworkErrorBody(error: FastifyError): EdgeError {
  switch (error.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return { statusCode: 414, code: 'uri-too-long', message: 'a path parameter is longer than the router accepts; ids are 1 to 64 characters' }
    case 'FST_ERR_BAD_URL':
      return { statusCode: 400, code: 'bad-request', message: 'the path is not valid URL encoding' }
    default:
      return { statusCode: 500, code: 'internal', message: 'internal error' }
  }
}

/** Fastify constructor options (app.ts): the answers above in the service's error shape. */
export const edgeErrorOptions = { clientErrorHandler, frameworkErrors }
