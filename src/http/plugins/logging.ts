/**
 * Logging goes through fastify's pino logger, configured at construction (loggerOptions,
 * genReqId); this plugin only echoes the request id. Bodies are never logged: they may hold
 * personal data. Fastify's request serializer logs method, url, host and remote address only;
 * the redaction is for anyone who logs headers by hand.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import fp from 'fastify-plugin'
import type { Config } from '../../config'

/** An incoming id is reused only if it cannot smuggle anything into logs or headers. */
const SANE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/

export function genReqId(req: IncomingMessage): string {
  const incoming = req.headers['x-request-id']
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID()
}

export function loggerOptions(config: Pick<Config, 'logLevel'>, overrides: object = {}): object {
  return {
    level: config.logLevel,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie'],
      censor: '[redacted]',
    },
    ...overrides,
  }
}

export const loggingPlugin = fp(
  async (app) => {
    app.addHook('onRequest', (request, reply, done) => {
      reply.header('x-request-id', request.id)
      done()
    })
  },
  { name: 'ledger-logging', fastify: '5.x' },
)
