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

const DESCRIPTIONS: Record<number, string> = {
  400: 'invalid request: code validation, its message naming each bad field by its path (`invalid body: data.region: expected one of MA-01…MA-12`) and details the zod issues; or invalid-json',
  401: 'no valid API key (code unauthorized)',
  403: 'this key may not do that (code forbidden)',
  404: 'not found (code not-found)',
  409: "a domain rule was broken (the rule's code) or wrong-expected-revision",
  413: 'body too large (code payload-too-large)',
  415: 'unsupported content type (code unsupported-media-type)',
  429: 'too many requests for this key (code rate-limited); see Retry-After',
  503: 'store unavailable or projections behind',
}

/** `response: { 200: X, ...errorResponses(400, 409) }` documents those error answers. */
export function errorResponses<S extends number>(...statuses: S[]): Record<S, typeof ErrorBody> {
  const out = {} as Record<S, typeof ErrorBody>
  for (const status of statuses) out[status] = ErrorBody.describe(DESCRIPTIONS[status] ?? 'error')
  return out
}
