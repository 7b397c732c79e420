/**
 * NDJSON imports: one `{learnerId, type, data, eventId?}` a line, strict, its data checked by its
 * type (inputs.ts). Blank lines are skipped; a line that is not JSON, not that shape, or whose
 * data its type refuses, is a rejected row and the others go on.
 */
import { z } from 'zod'
import { Id, LEARNER_EVENT_TYPES, type LearnerEventType } from '../../../events'
import { splitLines } from './decode'
import { checkLearnerEvent } from '../inputs'
import { describeIssues } from './issues'
import type { ImportItem } from './types'

/** The longest line read (as for a JSON body, 1 MiB): a longer one is rejected, not held. */
export const MAX_LINE_LENGTH = 1024 * 1024

const NdjsonRow = z.strictObject({
  learnerId: Id,
  type: z.enum(LEARNER_EVENT_TYPES as [LearnerEventType, ...LearnerEventType[]]),
  data: z.record(z.string(), z.unknown()),
  eventId: z.uuid().optional(),
})

export async function* readNdjson(texts: AsyncIterable<string>): AsyncGenerator<ImportItem> {
  for await (const { line, text, tooLong } of splitLines(texts, MAX_LINE_LENGTH)) {
    if (tooLong) {
      yield { line, code: 'line-too-long', message: `the line is longer than ${MAX_LINE_LENGTH} characters` }
      continue
    }
    if (text.trim() === '') continue
    let value: unknown
    let protoKey = false
    try {
      value = JSON.parse(text, (key, v: unknown) => {
        if (key === '__proto__') protoKey = true
        return v
      })
    } catch (error) {
      yield { line, code: 'invalid-json', message: `the line is not valid JSON: ${(error as Error).message}` }
      continue
    }
    // As fastify does for JSON bodies: the record parse of `data` would otherwise drop the key
    // silently (or, for an object value, make it the copy's prototype).
    if (protoKey) {
      yield { line, code: 'validation', message: 'the line has a __proto__ key, which is never accepted' }
      continue
    }
    const parsed = NdjsonRow.safeParse(value)
    if (!parsed.success) {
      yield { line, code: 'validation', message: `the line is not {learnerId, type, data, eventId?}: ${describeIssues(parsed.error.issues, value)}` }
      continue
    }
    const { learnerId, type, data, eventId } = parsed.data
    // The row's one check: what passes reaches the commands as it is.
    const checked = checkLearnerEvent(type, data, eventId)
    if (!checked.ok) {
      yield { line, code: checked.code, message: checked.message }
      continue
    }
    yield { ...checked.event, line, learnerId, sent: data }
  }
}
