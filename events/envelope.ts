import { z } from 'zod'
import { Id, Sha256Hex, Timestamp } from './common'

export const Role = z.enum(['admin', 'operator', 'auditor', 'viewer'])
export type Role = z.infer<typeof Role>

/** Who wrote an event: the API key's id and role, and the operator it acts for. */
export const Actor = z.strictObject({
  keyId: z.string().min(1).max(64),
  role: Role,
  operatorId: Id.optional(),
})
export type Actor = z.infer<typeof Actor>

export const GENESIS_HASH = '0'.repeat(64)

export const Metadata = z.strictObject({
  recordedAt: Timestamp,
  actor: Actor,
  correlationId: z.string().min(1).max(128),
  causationId: z.string().min(1).max(128).optional(),
  prevHash: Sha256Hex,
  hash: Sha256Hex,
})
export type Metadata = z.infer<typeof Metadata>

/**
 * A stored event. `position` is the event's place in the store's global log: 1 for the first
 * event, increasing, possibly sparse, meaningless across stores.
 */
export const Envelope = z.strictObject({
  eventId: z.uuid(),
  type: z.string().min(1),
  schemaVersion: z.number().int().positive(),
  streamId: z.string().min(1),
  streamRevision: z.number().int().nonnegative(),
  position: z.number().int().positive(),
  data: z.record(z.string(), z.unknown()),
  metadata: Metadata,
})
export type Envelope<T extends string = string, D = Record<string, unknown>> = {
  eventId: string
  type: T
  schemaVersion: number
  streamId: string
  streamRevision: number
  position: number
  data: D
  metadata: Metadata
}
