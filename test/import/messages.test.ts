/**
 * A rejected row's message names each bad field of its data by its path, once: a value the row
 * leaves empty (CSV) or out (NDJSON) is `required`, never zod's "Invalid option" of an enum.
 * Then the line formatter itself, on zod's own issues: unions, budgets, odd keys.
 */
import t from 'tap'
import { z } from 'zod'
import { describeIssues, focusIssues, NO_INPUT } from '../../src/write/import/issues'
import { harness } from '../support/harness'
import { setUp } from '../support/scenario'
import { importCsv, importNdjson, path, row, screened } from './support'

t.test('CSV: an empty cell of a required field is "required", whatever its type', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const csv = [
    'learnerId,operatorId,nationalId,gender,birthYear,region,educationLevel,background,submittedOn',
    'L-1,OP-1,N1,,2001,,bac+2,stem,2024-12-01',
    'L-2,OP-1,N2,female,,MA-06,bac+2,stem,2024-12-01',
    'L-3,OP-1,N3,female,year,MA-6,bac+2,stem,2024-12-01',
  ].join('\n')
  const answer = await importCsv(h, 'op1', csv, 'ApplicationSubmitted', '&dryRun=true')
  t.same(answer.rows.map((r) => [r.line, r.status, r.code, r.message]), [
    [2, 'rejected', 'validation', 'ApplicationSubmitted data is not valid: gender: required; region: required'],
    [3, 'rejected', 'validation', 'ApplicationSubmitted data is not valid: birthYear: required'],
    [4, 'rejected', 'validation', 'ApplicationSubmitted data is not valid: birthYear: expected a number; region: expected one of MA-01…MA-12'],
  ])

  await importNdjson(h, 'op1', path('L-1', 'N1').slice(0, 1))
  const screenings = await importCsv(h, 'op1', 'learnerId,decision,screenedOn\nL-1,,2024-12-15\nL-1,maybe,2024-12-15\n', 'ApplicationScreened', '&dryRun=true')
  t.same(screenings.rows.map((r) => r.message), [
    'ApplicationScreened data is not valid: decision: required',
    'ApplicationScreened data is not valid: decision: expected one of accepted, rejected, waitlisted',
  ])
})

t.test('NDJSON: a missing data field is "required"; a line of the wrong shape names its fields', async (t) => {
  const h = await harness(t)
  await setUp(h)
  await importNdjson(h, 'op1', path('L-1', 'N1').slice(0, 1))
  const answer = await importNdjson(h, 'op1', [
    row('L-1', { type: 'ApplicationScreened', data: { screenedOn: '2024-12-15' } }),
    row('L-1', { type: 'ApplicationScreened', data: { decision: 'accepted', screenedOn: '15/12/2024', note: 'x' } }),
    { learnerId: 'L-1', data: screened().data },
    { learnerId: 'L 1', type: 'Screened', data: [], extra: 1 },
    { learnerId: 'L-1', type: 'Screened', data: [] },
  ], '?dryRun=true')
  t.same(answer.rows.map((r) => r.message), [
    'ApplicationScreened data is not valid: decision: required',
    'ApplicationScreened data is not valid: screenedOn: a date is YYYY-MM-DD; note: unknown field',
    'the line is not {learnerId, type, data, eventId?}: type: required',
    'the line is not {learnerId, type, data, eventId?}: learnerId: an id is 1 to 64 of A-Z a-z 0-9 _ -; and 3 more',
    'the line is not {learnerId, type, data, eventId?}: type: expected one of ApplicationSubmitted, ApplicationScreened, LearnerEnrolled, LearnerWithdrew, TrainingCompleted, PlacementRecorded, PlacementEnded, FollowUpRecorded, PlacementVerified, EventRetracted; data: expected an object',
  ])
})

const describe = (schema: z.ZodType, input: unknown) => {
  const parsed = schema.safeParse(input)
  if (parsed.success) throw new Error('expected a failure')
  return describeIssues(parsed.error.issues, input)
}

t.test('unions: the branch the input was meant for, or what every branch would take', async (t) => {
  const single = z.strictObject({ type: z.literal('one'), value: z.number() })
  const batch = z.strictObject({ items: z.array(single).min(1), note: z.string().optional() })
  const body = z.union([single, batch])
  t.equal(describe(body, { type: 'one', value: 'x' }), 'value: expected a number', 'no items: the single form')
  t.equal(describe(body, { items: [{ type: 'one', value: 1 }, { type: 'two', value: 2 }] }), 'items[1].type: expected one', 'items: the batch form')
  t.equal(describe(body, { items: 'x', note: 3 }), 'items: expected an array; note: expected a string')
  t.equal(describe(body, 7), 'expected an object', 'every branch wants an object: said once')
  t.equal(describe(z.object({ m: z.union([z.literal(3), z.literal(6), z.literal(12)]) }), { m: 4 }), 'm: expected one of 3, 6, 12')
  t.equal(describe(z.object({ m: z.union([z.string(), z.number()]) }), { m: true }), 'm: expected a string or a number')
  t.equal(describe(z.object({ m: z.union([z.string(), z.number()]) }), {}), 'm: required')

  const focused = focusIssues(body.safeParse({ type: 'one', value: 'x' }).error!.issues, { type: 'one', value: 'x' })
  t.same(focused, [{ expected: 'number', code: 'invalid_type', path: ['value'], message: 'Invalid input: expected number, received string' }], 'details: the one branch, absolute paths, no nested errors')
})

t.test('messages: schema messages kept, zod generic ones said shortly, long ones cut', async (t) => {
  const schema = z.strictObject({
    id: z.string().regex(/^[a-z]+$/, 'an id is lowercase letters'),
    name: z.string().trim().min(1).max(5),
    tags: z.array(z.string()).max(2),
    level: z.enum(['below-bac', 'bac', 'bac+2']),
    code: z.enum(['C-01', 'C-02', 'C-03', 'C-04', 'C-05']),
    kind: z.enum(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n']),
    when: z.iso.datetime(),
    ratio: z.number().min(0).lt(1),
  })
  t.equal(describe(schema, { id: 'A1', name: 'toolong', tags: ['a', 'b', 'c'], level: 'bac+9', code: 'C-9', kind: 'z', when: 'now', ratio: 1 }),
    'id: an id is lowercase letters; name: at most 5 characters; tags: at most 2 items; level: expected one of below-bac, bac, bac+2; code: expected one of C-01…C-05; kind: expected one of a, b, c, d, e, f, g, h, i, j, k, l, … (14 in all); and 2 more')
  t.equal(describe(schema.pick({ kind: true, when: true, ratio: true }), { kind: 'z', when: 'now', ratio: -1 }),
    'kind: expected one of a, b, c, d, e, f, g, h, i, j, k, l, … (14 in all); when: expected an ISO 8601 date-time; ratio: at least 0')

  const huge = 'k'.repeat(10_000)
  const odd = describe(z.strictObject({ a: z.string() }), { a: 'x', [huge]: 1, 'two words': 2, 'x.y': 3 })
  t.equal(odd, `["${'k'.repeat(29)}…"]: unknown field; ["two words"]: unknown field; ["x.y"]: unknown field`)
  const many = describe(z.strictObject({}), Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`key${i}`, i])))
  t.ok(many.length < 300, `${many.length} characters`)
  t.match(many, /^key0: unknown field; key1: unknown field; .*; and \d+ more$/)
})

t.test('without the input at hand, an absent field is still told by zod\'s message', async (t) => {
  const issues = z.object({ a: z.string(), b: z.number() }).safeParse({ b: 'x' }).error!.issues
  t.equal(describeIssues(issues, NO_INPUT), 'a: required; b: expected a number')
})
