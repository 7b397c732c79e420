/**
 * Import eventIds (issue, high: ids derived from rows were an unkeyed UUIDv5 of the row, national
 * id included, so an export gave national ids away to a dictionary). Now keyed with the pepper:
 * what the log and every answer show cannot be recomputed from a guess, and re-importing a sheet
 * is still a no-op.
 */
import t from 'tap'
import { v5 as uuidV5 } from 'uuid'
import { derivedEventId } from '../../src/write/import'
import { canonicalJson } from '../../src/store/hash'
import { harness } from '../support/harness'
import { application, screened, setUp } from '../support/scenario'
import { importCsv, importNdjson, ndjson, postImport, row } from '../import/support'

/** The namespace of the unkeyed ids imports derived before. */
const OLD_NAMESPACE = '209fef1a-672d-4d81-a5de-f2d038afb124'

t.test('the id of a row with a national id is keyed: not the old UUIDv5, not the same under another pepper', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const app = application('AB123456')
  const answer = await importNdjson(h, 'op1', [row('L-1', app), row('L-1', screened())])
  const id = answer.rows[0].eventId
  t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  const guess = canonicalJson({ learnerId: 'L-1', type: app.type, data: app.data })
  t.not(id, uuidV5(guess, OLD_NAMESPACE), 'a guessed national id no longer confirms itself')
  t.not(id, derivedEventId(Buffer.from('a-pepper-someone-guessed-a-pepper-some'), 'L-1', app.type, app.data), 'nor under a pepper someone guessed')
  const events = (await h.call('admin', { method: 'GET', url: '/v1/learners/L-1/events' })).json()
  t.same(events.map((e: { eventId: string }) => e.eventId), answer.rows.map((r) => r.eventId), 'the log holds the keyed ids')
  t.notMatch(JSON.stringify(events), /AB123456/)
})

t.test('re-importing a sheet answers every row duplicate and writes nothing, NDJSON or CSV', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const sheet = ndjson([row('L-1', application('AB123456')), row('L-1', screened()), row('L-2', application('CD654321'))])
  const first = (await postImport(h, 'op1', sheet, 'application/x-ndjson')).json()
  t.match(first, { accepted: 3 })
  const position = h.ledger.runner.position
  const again = (await postImport(h, 'op1', sheet, 'application/x-ndjson')).json()
  t.match(again, { accepted: 0, rejected: 0, duplicate: 3 })
  t.same(again.rows.map((r: { eventId: string }) => r.eventId), first.rows.map((r: { eventId: string }) => r.eventId))

  const csv = 'learnerId,decision,screenedOn\nL-2,accepted,2024-12-15\n'
  const screening = await importCsv(h, 'op1', csv, 'ApplicationScreened')
  t.match(screening, { accepted: 1 })
  const csvAgain = await importCsv(h, 'op1', csv, 'ApplicationScreened')
  t.match(csvAgain, { accepted: 0, duplicate: 1 })
  t.equal(csvAgain.rows[0].eventId, screening.rows[0].eventId)
  const sameAsNdjson = await importNdjson(h, 'op1', [row('L-2', screened())])
  t.match(sameAsNdjson, { duplicate: 1 }, 'the same row as NDJSON is the same event')
  t.equal(h.ledger.runner.position, position + 1, 'only the first CSV import wrote')
})
