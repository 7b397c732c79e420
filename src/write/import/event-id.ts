import { createHmac } from 'node:crypto'
import { canonicalJson } from '../../store/hash'

/** The eventId of an import row that carries none, from the row as sent. */
export type ImportEventId = (learnerId: string, type: string, data: unknown) => string

/**
 * The eventId of an import row without one (domain.md): HMAC-SHA-256, keyed with the server's
 * pepper, of the canonical JSON (RFC 8785) of `{learnerId, type, data}`, `data` in the input form
 * the client sent (with nationalId). The same sheet under the same pepper always gives the same
 * ids, so re-importing it is a no-op; the same row sent as NDJSON or as CSV gives the same id,
 * since CSV cells become the same JSON values. Without the pepper the id says nothing of the row:
 * a guessed national id cannot be checked against it (an unkeyed hash could be).
 *
 * Written as a UUID: the first 16 bytes of the MAC with the version (8, "custom") and variant
 * bits set as RFC 9562 says, in lower case. 122 bits of the MAC are left, plenty for ids.
 *
 * The pepper also keys personKey (auth/pepper.ts) with no label of its own here: the messages
 * cannot meet, since a canonical object starts `{"data":` (lower case) and a normalised national
 * id holds no lower-case letter.
 */
export function derivedEventId(key: Uint8Array, learnerId: string, type: string, data: unknown): string {
  const bytes = createHmac('sha256', key).update(canonicalJson({ learnerId, type, data }), 'utf8').digest().subarray(0, 16)
  bytes[6] = (bytes[6] & 0x0f) | 0x80
  bytes[8] = (bytes[8] & 0x3f) | 0x80
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** `derivedEventId` under `key`: what the service and the command line give the importer. */
export const keyedEventIds = (key: Uint8Array): ImportEventId =>
  (learnerId, type, data) => derivedEventId(key, learnerId, type, data)
