/**
 * The one error handler: every error answer is `{statusCode, code, message, details?}`.
 * LedgerErrors say what they are; fastify's and the type provider's errors are mapped to the
 * spec's codes; anything else is a 500 whose cause is logged with the request id and never sent.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { firstAtEachPath, focusIssues, NO_INPUT, summariseIssues, withShortMessages, type IssueLike } from '../../write/import/issues'
import { LedgerError } from '../../errors'
import type { ErrorBody } from '../schemas'

/** Codes for fastify's own 4xx errors that have no dedicated mapping below. */
const CLIENT_CODES: Record<number, string> = {
  400: 'bad-request', 401: 'unauthorized', 403: 'forbidden', 404: 'not-found', 405: 'method-not-allowed',
  406: 'not-acceptable', 408: 'request-timeout', 409: 'conflict', 413: 'payload-too-large', 414: 'uri-too-long',
  415: 'unsupported-media-type', 429: 'rate-limited', 431: 'headers-too-large',
}

/** The type provider flattens zod issues to ajv's shape; this puts them back (paths as zod gives them). */
function zodIssues(validation: FastifyError['validation']): IssueLike[] {
  return (validation ?? []).map((v) => ({
    ...v.params,
    code: v.keyword,
    path: v.instancePath.split('/').slice(1).filter((p) => p !== '').map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
    message: v.message ?? 'invalid',
  }))
}

/** The part of the request that failed, as the request holds it (fastify keeps it unparsed on failure). */
function inputOf(request: FastifyRequest, part: string): unknown {
  switch (part) {
    case 'body': return request.body
    case 'querystring': return request.query
    case 'params': return request.params
    case 'headers': return request.headers
    default: return NO_INPUT
  }
}

/**
 * A 400 for a request that fails its zod schema: one short message naming each bad field by its
 * path (`invalid body: data.birthYear: expected an integer; data.region: expected one of
 * MA-01…MA-12`), and in details the issues behind it, each union narrowed to the branch the
 * request was meant for.
 */
function validationBody(error: FastifyError, request: FastifyRequest): ErrorBody {
  const part = error.validationContext ?? 'request'
  const input = inputOf(request, part)
  const options = { unknownKey: part === 'querystring' || part === 'params' ? 'parameter' as const : 'field' as const }
  const issues = focusIssues(zodIssues(error.validation), input)
  return {
    statusCode: 400,
    code: 'validation',
    message: `invalid ${part}: ${summariseIssues(issues, input, options)}`,
    details: withShortMessages(firstAtEachPath(issues).slice(0, MAX_DETAILS), input, options),
  }
}

/** A body may hold thousands of bad fields; the answer names the first ones. */
const MAX_DETAILS = 50

const clip = (s: string, max = 100) => (s.length > max ? `${s.slice(0, max)}...` : s)

export function toErrorBody(error: FastifyError, request: FastifyRequest): ErrorBody {
  if (error instanceof LedgerError) {
    return { statusCode: error.statusCode, code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) }
  }
  if (hasZodFastifySchemaValidationErrors(error)) return validationBody(error, request)
  if (error.validation) {
    return { statusCode: 400, code: 'validation', message: error.message, details: error.validation }
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { statusCode: 400, code: 'invalid-json', message: 'the body is not valid JSON' }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { statusCode: 400, code: 'invalid-json', message: 'the body is empty; this request needs a JSON body' }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const type = request.headers['content-type'] ?? '(none)'
      return { statusCode: 415, code: 'unsupported-media-type', message: `content type ${clip(type)} is not accepted here` }
    }
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { statusCode: 413, code: 'payload-too-large', message: `the body is larger than the ${request.routeOptions.bodyLimit} bytes accepted here` }
    default:
      break
  }
  const status = error.statusCode
  if (status !== undefined && status >= 400 && status < 500) {
    // fastify's and its plugins' 4xx messages describe the request, not the server.
    return { statusCode: status, code: CLIENT_CODES[status] ?? 'bad-request', message: error.message }
  }
  return { statusCode: 500, code: 'internal', message: 'internal error' }
}

export const errorsPlugin = fp(
  async (app) => {
    app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const body = toErrorBody(error, request)
      if (body.statusCode >= 500) {
        // The cause goes to the log (with reqId), never to the client.
        request.log.error({ err: error }, 'request failed')
      } else {
        request.log.info({ statusCode: body.statusCode, code: body.code }, 'request refused')
      }
      return reply.code(body.statusCode).send(body)
    })

    app.setNotFoundHandler((request, reply) => {
      const url = request.url.split('?')[0]
      return reply.code(404).send({ statusCode: 404, code: 'not-found', message: `no route ${request.method} ${clip(url, 200)}` })
    })
  },
  { name: 'ledger-errors', fastify: '5.x' },
)
