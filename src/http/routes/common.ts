import { z } from 'zod'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Actor } from '../../../events'
import type { Ledger } from '../../ledger'
import type { AppendResult } from '../../store/types'
import { Id } from '../../../events'
import { badRequest, LedgerError } from '../../errors'

export const MinPositionQuery = z.strictObject({
  minPosition: z.coerce.number().int().nonnegative().optional(),
})

/** API4: every list answers a page at a time. */
export const PAGE_DEFAULT = 100
export const PAGE_MAX = 1000

const Limit = z.coerce.number().int().min(1).max(PAGE_MAX).default(PAGE_DEFAULT)
  .describe(`page size, 1 to ${PAGE_MAX} (default ${PAGE_DEFAULT})`)

/**
 * `limit` and `after`: a page starts after the item whose key is `after`, which is the `next` of
 * the previous page's answer (and in its `Link: <...>; rel="next"` header).
 */
export const PageQuery = z.strictObject({
  limit: Limit,
  after: Id.optional().describe('start after this key: the `next` of the previous page (absent: the first page)'),
})

export const PAGING = 'Paged: at most `limit` items (default 100, max 1000). While more remain, the answer names the next page: `next` (pass it as `after`) and a `Link: <url>; rel="next"` header; the last page has neither (so a list that fits in one page answers as it always did).'

export interface Page<T> {
  items: T[]
  /** The key to pass as `after` for the next page; null on the last page. */
  next: string | null
}

/** The page of `items` (sorted by `keyOf`, ascending, keys distinct) after key `after`. */
export function pageByKey<T>(items: readonly T[], keyOf: (item: T) => string, limit: number, after: string | undefined): Page<T> {
  let start = 0
  if (after !== undefined) {
    let hi = items.length
    while (start < hi) {
      const mid = (start + hi) >>> 1
      if (keyOf(items[mid]) <= after) start = mid + 1
      else hi = mid
    }
  }
  return pageFrom(items, keyOf, start, limit)
}

/** The page of `items` (in a fixed order that only grows at the end) after the item with key `after`; 400 for an unknown key. */
export function pageAfterItem<T>(items: readonly T[], keyOf: (item: T) => string, limit: number, after: string | undefined): Page<T> {
  if (after === undefined) return pageFrom(items, keyOf, 0, limit)
  const index = items.findIndex((item) => keyOf(item) === after)
  if (index < 0) throw badRequest(`after: no item '${after}' to start after`)
  return pageFrom(items, keyOf, index + 1, limit)
}

function pageFrom<T>(items: readonly T[], keyOf: (item: T) => string, start: number, limit: number): Page<T> {
  const page = items.slice(start, start + limit)
  const more = start + limit < items.length
  return { items: page, next: more && page.length > 0 ? keyOf(page[page.length - 1]) : null }
}

/** Sets `Link: <this url with after=next>; rel="next"` while a next page exists. */
export function linkNext(request: FastifyRequest, reply: FastifyReply, next: string | null, param = 'after'): void {
  if (next === null) return
  const url = new URL(request.url, 'http://ledger.invalid')
  url.searchParams.set(param, next)
  reply.header('link', `<${url.pathname}${url.search}>; rel="next"`)
}

/** Read-your-writes: wait (up to 5 s) until the projections hold `minPosition`, else 503. */
export async function awaitMinPosition(ledger: Ledger, minPosition: number | undefined): Promise<void> {
  if (minPosition !== undefined) await ledger.runner.require(minPosition)
}

/** Every answer under /v1 says which position its projections held. */
export function positionHeader(ledger: Ledger) {
  return async (_request: FastifyRequest, reply: FastifyReply) => {
    reply.header('X-Ledger-Position', String(ledger.runner.position))
  }
}

/**
 * 201 for a write that recorded events; 200 with the original result for a re-send. The key
 * comes last, as the answers have always had it (WriteResult.extend).
 */
export function writeAnswer<K extends Record<string, string>>(reply: FastifyReply, result: AppendResult, key: K) {
  reply.code(result.duplicate ? 200 : 201)
  return {
    streamRevision: result.streamRevision,
    position: result.position,
    events: result.events,
    ...key,
  }
}

export const WriteResult = z.object({
  streamRevision: z.number().int(),
  position: z.number().int(),
  events: z.array(z.object({ eventId: z.string(), type: z.string(), streamRevision: z.number().int(), position: z.number().int() })),
})

/** The authenticated actor; routes that call this declared roles, so the auth plugin set it. */
export function actorOf(request: FastifyRequest): Actor {
  const actor = request.actor
  if (!actor) throw new LedgerError(401, 'unauthorized', 'a valid API key is required')
  return actor
}

/** An operator sees only its own: a foreign or missing object answers the same 403. */
export function assertOwn(actor: Actor, operatorId: string | undefined): void {
  if (actor.role === 'operator' && (operatorId === undefined || operatorId !== actor.operatorId)) {
    throw new LedgerError(403, 'forbidden', 'this key may not see that')
  }
}

/** Headers of a request's correlation: the request id travels into the events' metadata. */
export const correlationOf = (request: FastifyRequest) => ({ correlationId: String(request.id) })
