/**
 * Logging goes through fastify's pino logger, configured at construction (loggerOptions,
 * genReqId, RequestLogs); this plugin only echoes the request id. Bodies are never logged: they
 * may hold personal data. Fastify's request serializer logs method, url, host and remote address
 * only; the redaction is for anyone who logs headers by hand.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { DestinationStream } from 'pino'
import pretty from 'pino-pretty'
import type { Config, LogFormat } from '../../config'

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

/**
 * Fastify logs every request twice at info ("incoming request", "request completed"): the
 * dashboard's few reads a minute would then bury everything else the service says. A request
 * that went well is logged at debug only; one the client got wrong (4xx) at info, one the server
 * failed (5xx) at warn, each in one line with method, url, status and time, so that line is
 * enough without its "incoming" twin. A 5xx's cause is logged at error by the error handler.
 */
export class RequestLogs extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return
    request.log.debug({ req: request }, 'incoming request')
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return
    const line = { req: request, res: reply, responseTime: reply.elapsedTime }
    if (error) {
      // The answer itself broke (a stream that failed after the headers went): always worth seeing.
      reply.log.error({ ...line, err: error }, 'request errored')
    } else if (reply.statusCode >= 500) {
      reply.log.warn(line, 'request completed')
    } else if (reply.statusCode >= 400) {
      reply.log.info(line, 'request completed')
    } else {
      reply.log.debug(line, 'request completed')
    }
  }
}

/** LOG_FORMAT when set; otherwise human-readable on a terminal, and JSON lines for collectors, files and pipes. */
export function logsArePretty(format: LogFormat | undefined, stdoutIsTTY: boolean): boolean {
  return format === undefined ? stdoutIsTTY : format === 'pretty'
}

/**
 * What a pretty line says: a request as `<-- GET /url` (arrived) or `--> GET /url 404 1.2ms`
 * (answered), anything else by its message; the request id, which the client holds as
 * X-Request-Id, closes the line.
 */
export function prettyMessage(log: Record<string, unknown>, messageKey: string): string {
  const req = log.req as { method?: string; url?: string } | undefined
  const res = log.res as { statusCode?: number } | undefined
  const id = typeof log.reqId === 'string' ? ` [${log.reqId}]` : ''
  if (req !== undefined && res !== undefined) {
    const time = typeof log.responseTime === 'number' ? ` ${log.responseTime.toFixed(1)}ms` : ''
    return `--> ${req.method} ${req.url} ${res.statusCode}${time}${id}`
  }
  if (req !== undefined) return `<-- ${req.method} ${req.url}${id}`
  return `${String(log[messageKey] ?? '')}${id}`
}

/**
 * pino-pretty in this process (not a worker transport): one line per entry, the remaining fields
 * as JSON after the message. Synchronous, so the last lines before an exit (shutdown) are written.
 * `demo` (cli/demo.ts) only repeats its message's figures for JSON readers: left out here.
 * `destination` (tests): where the lines go instead of stdout, without colours.
 */
export function prettyStream(destination?: NodeJS.WritableStream): DestinationStream {
  return pretty({
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,reqId,req,res,responseTime,demo',
    singleLine: true,
    messageFormat: prettyMessage,
    ...(destination === undefined ? {} : { destination, colorize: false }),
  })
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
