import { v5 as uuidV5 } from 'uuid'
import { canonicalJson } from '../../store/hash'

/**
 * The UUIDv5 namespace of the eventIds derived for import rows that carry none (a random v4
 * drawn once for this ledger). It is fixed for good: with another namespace, re-importing a
 * sheet imported before would derive other ids and write every row again.
 */
export const IMPORT_EVENT_ID_NAMESPACE = '209fef1a-672d-4d81-a5de-f2d038afb124'

/**
 * The eventId of an import row without one (domain.md): UUIDv5 of the canonical JSON (RFC 8785)
 * of `{learnerId, type, data}`, `data` in the input form the client sent (with nationalId), so
 * the same sheet always gives the same ids and re-importing it is a no-op. The same row sent as
 * NDJSON or as CSV derives the same id, since CSV cells are converted to the same JSON values.
 */
export function derivedEventId(learnerId: string, type: string, data: unknown): string {
  return uuidV5(canonicalJson({ learnerId, type, data }), IMPORT_EVENT_ID_NAMESPACE)
}
