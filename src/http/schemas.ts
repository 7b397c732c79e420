/**
 * Shapes every route shares: the error body and its documented statuses. A route that lists
 * error statuses in its response schema must use ErrorBody, because the error handler's answer
 * is serialized through that schema.
 */
import { z } from 'zod'

/**
 * One problem with a request, as zod reports it: `path` locates it inside body/query/params;
 * `message` says it shortly. For an unknown key, `path` is the object's and `keys` names it.
 */
export const ValidationIssue = z.looseObject({
  code: z.string(),
  path: z.array(z.union([z.string(), z.number()])),
  message: z.string(),
})

export const ErrorBody = z
  .object({
    statusCode: z.number().int(),
    code: z.string().describe('stable, machine-readable: validation, unauthorized, forbidden, not-found, a rule code...'),
    message: z.string().describe('for code validation, one line naming each bad field by its path: `invalid body: data.birthYear: expected an integer; data.region: expected one of MA-01…MA-12`'),
    details: z.unknown().optional().describe('for code validation: the zod issues behind the message (a union body: those of the form it was meant for), at most 50'),
  })
  .meta({ id: 'Error' })
export type ErrorBody = z.infer<typeof ErrorBody>

/** What each error status means wherever it is answered; a route may say more (errorResponse). */
export const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'invalid request: code validation, its message naming each bad field by its path (`invalid body: data.region: expected one of MA-01…MA-12`) and details the zod issues; or invalid-json',
  401: 'no valid API key (code unauthorized)',
  403: 'this key may not do that (code forbidden)',
  404: 'not found (code not-found)',
  409: "a domain rule was broken (the rule's code), wrong-expected-revision, or duplicate-event-id (an eventId already recorded with another payload); nothing was written",
  413: 'body too large (code payload-too-large); nothing was read further',
  415: 'unsupported content type (code unsupported-media-type)',
  429: 'too many requests for this key (code rate-limited); see Retry-After',
  503: 'not now, try again: the store is unavailable (store-unavailable), the projections did not reach minPosition within 5 s (projection-behind), or the service is shutting down (shutting-down)',
}

/** One documented error answer with the route's own description. */
export const errorResponse = (description: string) => ErrorBody.describe(description)

/** `response: { 200: X, ...errorResponses(400, 409) }` documents those error answers. */
export function errorResponses<S extends number>(...statuses: S[]): Record<S, typeof ErrorBody> {
  const out = {} as Record<S, typeof ErrorBody>
  for (const status of statuses) out[status] = errorResponse(ERROR_DESCRIPTIONS[status] ?? 'error')
  return out
}

/**
 * A 200 answered as JSON, or as CSV (`?format=csv`, or `Accept: text/csv`): both are declared, so
 * the document says so; fastify serializes only the JSON one (a CSV answer is sent as written).
 */
export function jsonOrCsv<T extends z.ZodType>(json: T, description: string, csv: string) {
  return {
    description,
    content: {
      'application/json': { schema: json },
      'text/csv': { schema: z.string().describe(csv) },
    },
  }
}
