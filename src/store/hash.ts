import { createHash } from 'node:crypto'
import canonicalize from 'canonicalize'
import type { Actor } from '../../events'
import { canonicalJson } from '../canonical'

export { canonicalJson }

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

/**
 * The canonical JSON of an event's data. An append needs it twice (payloadFingerprint and
 * eventHash), and it is most of the cost of both: the store computes it once and passes it to
 * each. Omitted, they compute it themselves; the results are the same either way.
 */
export const canonicalData = (data: unknown): string | undefined => canonicalize(data)

/** `"key":<canonical value>`, or nothing for a member canonical JSON leaves out (undefined). */
function member(key: string, text: string | undefined): string {
  return text === undefined ? '' : `,${JSON.stringify(key)}:${text}`
}

/** An object's canonical JSON from its members, given in sorted key order. */
function objectOf(members: string[]): string {
  const body = members.join('')
  return `{${body.slice(1)}}`
}

/** The hash the spec defines: SHA-256 of the canonical JSON of exactly these fields. */
export function eventHash(f: HashedFields, data: string | undefined = canonicalData(f.data)): string {
  // The members in RFC 8785 order (keys sorted), so that only `data` and `actor` need a walk.
  return sha256Hex(objectOf([
    member('actor', canonicalize(f.actor)),
    member('data', data),
    member('eventId', canonicalize(f.eventId)),
    member('prevHash', canonicalize(f.prevHash)),
    member('recordedAt', canonicalize(f.recordedAt)),
    member('schemaVersion', canonicalize(f.schemaVersion)),
    member('streamId', canonicalize(f.streamId)),
    member('streamRevision', canonicalize(f.streamRevision)),
    member('type', canonicalize(f.type)),
  ]))
}

/** Fingerprint of what a re-send must match to count as the same event: stream, type, data. */
export function payloadFingerprint(streamId: string, type: string, data: unknown, canonical: string | undefined = canonicalData(data)): string {
  return sha256Hex(objectOf([member('data', canonical), member('streamId', canonicalize(streamId)), member('type', canonicalize(type))]))
}

/** recordedAt for the next event: now, but never before the log's last recordedAt. */
export function nextRecordedAt(now: Date, lastRecordedAt: string | undefined): string {
  const iso = now.toISOString()
  return lastRecordedAt !== undefined && lastRecordedAt > iso ? lastRecordedAt : iso
}

/** Containers with more entries than this are streamed piece by piece into the hash. */
const STREAM_ABOVE = 64

/**
 * SHA-256 of the canonical JSON of `value`, without building the whole string: a projection
 * state of 150,000 learners is hundreds of MB of JSON. Large objects and arrays are written to
 * the hash entry by entry (keys sorted by UTF-16 code units, as RFC 8785 does); small ones go
 * through `canonicalize`. The result equals `sha256Hex(canonicalJson(value))`.
 */
export function canonicalDigest(value: unknown): string {
  const hash = createHash('sha256')
  writeCanonical(hash, value)
  return hash.digest('hex')
}

function writeCanonical(hash: ReturnType<typeof createHash>, value: unknown): void {
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    if (Array.isArray(value)) {
      if (value.length > STREAM_ABOVE) {
        hash.update('[')
        value.forEach((item, i) => {
          if (i > 0) hash.update(',')
          writeCanonical(hash, item === undefined ? null : item)
        })
        hash.update(']')
        return
      }
    } else if (typeof (value as { toJSON?: unknown }).toJSON !== 'function') {
      const entries = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      if (entries.length > STREAM_ABOVE) {
        hash.update('{')
        entries.sort().forEach((key, i) => {
          hash.update(`${i > 0 ? ',' : ''}${JSON.stringify(key)}:`)
          writeCanonical(hash, (value as Record<string, unknown>)[key])
        })
        hash.update('}')
        return
      }
    }
  }
  hash.update(canonicalJson(value))
}
