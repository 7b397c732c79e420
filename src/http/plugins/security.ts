/**
 * Security headers and the per-key rate limit. Body limits, timeouts and trustProxy are fastify
 * constructor options (app.ts).
 *
 * CSP: helmet's defaults (scripts and styles from this origin only) fit both the dashboard's
 * bundled JS and the bundled Swagger UI, minus `upgrade-insecure-requests`: the service itself
 * speaks plain HTTP (TLS is a proxy's job), and that directive would send browsers to https
 * URLs it does not serve.
 *
 * helmet's middleware is built once, here: @fastify/helmet rebuilt it (parsing the CSP
 * directives again) on every request, a few percent of all CPU under load. The headers are the
 * same on every answer, set in onRequest so that errors answered later (404, 413, 415, 5xx)
 * carry them too. No route needs CSP nonces or its own helmet options.
 */
import helmet from 'helmet'
import rateLimit from '@fastify/rate-limit'
import type { FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { LedgerError } from '../../errors'

/** Per key when the request carries a valid one (auth runs first), else per client address. */
export const rateLimitKey = (request: FastifyRequest): string =>
  request.actor ? `key:${request.actor.keyId}` : `ip:${request.ip}`

export const securityPlugin = fp<{ rateLimitPerMinute: number }>(
  async (app, { rateLimitPerMinute }) => {
    const securityHeaders = helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: { 'upgrade-insecure-requests': null },
      },
    })
    app.addHook('onRequest', (request, reply, done) => securityHeaders(request.raw, reply.raw, (err?: unknown) => done(err as Error | undefined)))
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
