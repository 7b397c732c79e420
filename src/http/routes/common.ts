import { z } from 'zod'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Actor } from '../../../events'
import type { Ledger } from '../../app/ledger'
import type { AppendResult } from '../../store/types'
import { LedgerError } from '../../errors'

export const MinPositionQuery = z.strictObject({
  minPosition: z.coerce.number().int().nonnegative().optional(),
})

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

/** 201 for a write that recorded events; 200 with the original result for a re-send. */
export function writeAnswer<K extends Record<string, string>>(reply: FastifyReply, result: AppendResult, key: K) {
  reply.code(result.duplicate ? 200 : 201)
  return {
    ...key,
    streamRevision: result.streamRevision,
    position: result.position,
    events: result.events,
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
