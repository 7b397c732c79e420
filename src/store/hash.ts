import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import type { Actor } from '../../events'

/** RFC 8785 (JCS) canonical JSON: keys sorted, no spaces, numbers in their shortest form. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value)
  if (text === undefined) throw new TypeError('value has no canonical JSON form')
  return text
}

export const sha256Hex = (text: string | Buffer) => createHash('sha256').update(text).digest('hex')

export interface HashedFields {
  streamId: string
  streamRevision: number
  eventId: string
  type: string
  schemaVersion: number
  data: unknown
  recordedAt: string
  actor: Actor
  prevHash: string
}

/** The hash the spec defines: SHA-256 of the canonical JSON of exactly these fields. */
export function eventHash(f: HashedFields): string {
  return sha256Hex(canonicalJson({
    streamId: f.streamId,
    streamRevision: f.streamRevision,
    eventId: f.eventId,
    type: f.type,
    schemaVersion: f.schemaVersion,
    data: f.data,
    recordedAt: f.recordedAt,
    actor: f.actor,
    prevHash: f.prevHash,
  }))
}

/** Fingerprint of what a re-send must match to count as the same event: stream, type, data. */
export function payloadFingerprint(streamId: string, type: string, data: unknown): string {
  return sha256Hex(canonicalJson({ streamId, type, data }))
}

/** recordedAt for the next event: now, but never before the log's last recordedAt. */
export function nextRecordedAt(now: Date, lastRecordedAt: string | undefined): string {
  const iso = now.toISOString()
  return lastRecordedAt !== undefined && lastRecordedAt > iso ? lastRecordedAt : iso
}
