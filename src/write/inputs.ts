/**
 * The one check of a learner event as a client sends it: its data against its type's input
 * schema (events/learner.ts `learnerInputs`, strict). Every boundary checks once and hands the
 * commands what passed; the commands do not check it again:
 * - HTTP: the route's body schema (http/routes/writes.ts), built from `learnerDataSchema`;
 * - imports: each reader (import/ndjson.ts, import/csv.ts) calls `checkLearnerEvent` per row,
 *   and a row that fails is rejected `validation` before any row reaches the commands;
 * - in-process callers (the simulator, tests) build typed inputs (types.ts ValidLearnerEvent).
 */
import { learnerInputs, type LearnerEventType } from '../../events'
import { describeIssues } from './import/issues'
import type { LearnerInputData, ValidLearnerEvent } from './types'

/** The input schema of a learner event type's data. */
export const learnerDataSchema = <T extends LearnerEventType>(type: T) => learnerInputs[type]

export type CheckedLearnerEvent =
  | { ok: true; event: ValidLearnerEvent }
  | { ok: false; code: 'validation'; message: string }

/**
 * The event with its data as its schema reads it (text trimmed), or why it is not one: a
 * message naming each bad field by its path within `data`, as an import row reports it.
 */
export function checkLearnerEvent(type: LearnerEventType, data: unknown, eventId?: string): CheckedLearnerEvent {
  const parsed = learnerDataSchema(type).safeParse(data)
  if (!parsed.success) return { ok: false, code: 'validation', message: `${type} data is not valid: ${describeIssues(parsed.error.issues, data)}` }
  const event = { type, data: parsed.data as LearnerInputData, ...(eventId === undefined ? {} : { eventId }) } as ValidLearnerEvent
  return { ok: true, event }
}
