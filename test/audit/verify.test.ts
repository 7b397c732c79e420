/**
 * verify: an intact ledger verifies, and every tampering with a copy of its SQLite file (data,
 * type, a deleted row, two rows swapped within a stream, recordedAt, prevHash, an edit whose
 * hash was recomputed too) is found, with the right first break.
 */
import { join } from 'node:path'
import t from 'tap'
import { GENESIS_HASH, type Envelope } from '../../events'
import { summaryDigest, verifyStore, type VerifyResult } from '../../src/read/audit'
import { eventHash, sha256Hex } from '../../src/store/hash'
import { openSqliteStore } from '../../src/store/sqlite'
import { harness } from '../support/harness'
import { application, expectStatus, screened, setUp } from '../support/scenario'
import { copyLedger, tamper, tempDir, writeLedgerFile } from './fixture'

async function verifyDir(dir: string): Promise<VerifyResult> {
  const store = openSqliteStore(join(dir, 'ledger.db'))
  try {
    return await verifyStore(store)
  } finally {
    await store.close()
  }
}

const hashOf = (e: Envelope, changes: Partial<{ data: unknown; type: string; recordedAt: string }> = {}) => eventHash({
  streamId: e.streamId, streamRevision: e.streamRevision, eventId: e.eventId, type: changes.type ?? e.type,
  schemaVersion: e.schemaVersion, data: changes.data ?? e.data, recordedAt: changes.recordedAt ?? e.metadata.recordedAt,
  actor: e.metadata.actor, prevHash: e.metadata.prevHash,
})

t.test('tampering with a copy of the SQLite ledger is always found', async (t) => {
  const dir = tempDir(t)
  const log = await writeLedgerFile(dir)
  const streamA = log.filter((e) => e.streamId === 'learner-A')
  const streamC = log.filter((e) => e.streamId === 'learner-C')
  t.equal(streamA.length, 5)

  const intact = await verifyDir(copyLedger(t, dir))
  const heads = new Map<string, string>()
  for (const e of log) heads.set(e.streamId, e.metadata.hash)
  t.same(intact, { ok: true, streams: heads.size, events: log.length, digest: summaryDigest([...heads]) })
  const lines = [...heads].map(([s, h]) => `${s}:${h}`).sort()
  t.equal(intact.digest, sha256Hex(lines.join('\n')), 'the digest is the spec\'s: sorted streamId:headHash lines, \\n, no trailing newline')
  t.equal(intact.streams, 7, 'operator, two cohorts, four learners')

  t.test('data changed', async (t) => {
    const copy = copyLedger(t, dir)
    const target = streamA[1]
    tamper(copy, (db) => db.prepare(`UPDATE events SET data = json_set(data, '$.decision', 'rejected') WHERE event_id = ?`).run(target.eventId))
    const result = await verifyDir(copy)
    t.equal(result.ok, false)
    t.same(result.firstBreak, {
      streamId: 'learner-A', streamRevision: 1, eventId: target.eventId, position: target.position, reason: 'hash',
      expected: hashOf(target, { data: { ...target.data, decision: 'rejected' } }), found: target.metadata.hash,
    })
    t.equal(result.events, log.length, 'the scan goes on past the break')
    t.equal(result.digest, intact.digest, 'no head hash was touched')
  })

  t.test('type changed', async (t) => {
    const copy = copyLedger(t, dir)
    const target = streamA[4]
    tamper(copy, (db) => db.prepare(`UPDATE events SET type = 'PlacementEnded' WHERE event_id = ?`).run(target.eventId))
    const result = await verifyDir(copy)
    t.equal(result.ok, false)
    t.same(result.firstBreak, {
      streamId: 'learner-A', streamRevision: 4, eventId: target.eventId, position: target.position, reason: 'hash',
      expected: hashOf(target, { type: 'PlacementEnded' }), found: target.metadata.hash,
    })
  })

  t.test('a row deleted', async (t) => {
    const copy = copyLedger(t, dir)
    tamper(copy, (db) => db.prepare('DELETE FROM events WHERE event_id = ?').run(streamA[2].eventId))
    const result = await verifyDir(copy)
    t.equal(result.ok, false)
    t.same(result.firstBreak, {
      streamId: 'learner-A', streamRevision: 3, eventId: streamA[3].eventId, position: streamA[3].position,
      reason: 'revision', expected: 2, found: 3,
    })
    t.equal(result.events, log.length - 1)
  })

  t.test('the first row of a stream deleted', async (t) => {
    const copy = copyLedger(t, dir)
    tamper(copy, (db) => db.prepare('DELETE FROM events WHERE event_id = ?').run(streamC[0].eventId))
    const result = await verifyDir(copy)
    t.match(result.firstBreak, { streamId: 'learner-C', streamRevision: 1, eventId: streamC[1].eventId, reason: 'revision', expected: 0, found: 1 })
  })

  t.test('two rows of a stream swapped (their revisions exchanged)', async (t) => {
    const copy = copyLedger(t, dir)
    const [first, second] = [streamA[2], streamA[3]]
    tamper(copy, (db) => db.transaction(() => {
      const set = db.prepare('UPDATE events SET stream_revision = ? WHERE event_id = ?')
      set.run(-1, first.eventId)
      set.run(first.streamRevision, second.eventId)
      set.run(second.streamRevision, first.eventId)
    })())
    const result = await verifyDir(copy)
    t.equal(result.ok, false)
    t.same(result.firstBreak, {
      streamId: 'learner-A', streamRevision: 3, eventId: first.eventId, position: first.position,
      reason: 'revision', expected: 2, found: 3,
    })
  })

  t.test('recordedAt changed', async (t) => {
    const copy = copyLedger(t, dir)
    const target = streamC[3]
    const earlier = '2025-01-01T00:00:00.000Z'
    tamper(copy, (db) => db.prepare(`UPDATE events SET metadata = json_set(metadata, '$.recordedAt', ?), recorded_at = ? WHERE event_id = ?`)
      .run(earlier, earlier, target.eventId))
    const result = await verifyDir(copy)
    t.same(result.firstBreak, {
      streamId: 'learner-C', streamRevision: 3, eventId: target.eventId, position: target.position, reason: 'hash',
      expected: hashOf(target, { recordedAt: earlier }), found: target.metadata.hash,
    })
  })

  t.test('prevHash changed', async (t) => {
    const copy = copyLedger(t, dir)
    const target = streamA[0]
    tamper(copy, (db) => db.prepare(`UPDATE events SET metadata = json_set(metadata, '$.prevHash', ?) WHERE event_id = ?`).run('1'.repeat(64), target.eventId))
    const result = await verifyDir(copy)
    t.same(result.firstBreak, {
      streamId: 'learner-A', streamRevision: 0, eventId: target.eventId, position: target.position, reason: 'prev-hash',
      expected: GENESIS_HASH, found: '1'.repeat(64),
    })
  })

  t.test('data changed and its hash recomputed: the next event no longer chains', async (t) => {
    const copy = copyLedger(t, dir)
    const target = streamA[4]
    const data = { ...target.data, contractType: 'cdd' }
    const forged = hashOf(target, { data })
    tamper(copy, (db) => db.prepare(`UPDATE events SET data = ?, metadata = json_set(metadata, '$.hash', ?) WHERE event_id = ?`)
      .run(JSON.stringify(data), forged, target.eventId))
    // The stream's last event: every chain still holds, only the summary digest betrays it.
    const atHead = await verifyDir(copy)
    t.equal(atHead.ok, true)
    t.not(atHead.digest, intact.digest, 'an auditor who kept the digest sees the rewrite')

    const copy2 = copyLedger(t, dir)
    const middle = streamA[1]
    const forgedMiddle = hashOf(middle, { data: { ...middle.data, decision: 'waitlisted' } })
    tamper(copy2, (db) => db.prepare(`UPDATE events SET data = json_set(data, '$.decision', 'waitlisted'), metadata = json_set(metadata, '$.hash', ?) WHERE event_id = ?`)
      .run(forgedMiddle, middle.eventId))
    const result = await verifyDir(copy2)
    t.same(result.firstBreak, {
      streamId: 'learner-A', streamRevision: 2, eventId: streamA[2].eventId, position: streamA[2].position, reason: 'prev-hash',
      expected: forgedMiddle, found: middle.metadata.hash,
    })
  })

  t.test("a stream's last event deleted: the chains hold, the digest does not", async (t) => {
    const copy = copyLedger(t, dir)
    tamper(copy, (db) => db.prepare('DELETE FROM events WHERE event_id = ?').run(streamC[5].eventId))
    const result = await verifyDir(copy)
    t.equal(result.ok, true)
    t.not(result.digest, intact.digest)
  })

  t.test('two tamperings: the first in log order is reported', async (t) => {
    const copy = copyLedger(t, dir)
    tamper(copy, (db) => {
      db.prepare(`UPDATE events SET type = 'LearnerWithdrew' WHERE event_id = ?`).run(streamC[2].eventId)
      db.prepare(`UPDATE events SET data = json_set(data, '$.name', 'Other') WHERE event_id = ?`).run(log[0].eventId)
    })
    const result = await verifyDir(copy)
    t.match(result.firstBreak, { streamId: log[0].streamId, position: log[0].position, reason: 'hash' })
  })
})

t.test('GET /v1/audit/verify: an intact ledger, and who may ask', async (t) => {
  const h = await harness(t)
  const empty = await expectStatus(h, 'auditor', 'GET', '/v1/audit/verify', undefined, 200)
  t.same(empty, { ok: true, streams: 0, events: 0, digest: sha256Hex('') })
  await setUp(h)
  await expectStatus(h, 'op1', 'POST', '/v1/learners/A/events', { events: [application('NA'), screened()] }, 201)
  const result = await expectStatus(h, 'auditor', 'GET', '/v1/audit/verify', undefined, 200)
  t.match(result, { ok: true, streams: 5, events: 6, digest: /^[0-9a-f]{64}$/ })
  t.notOk('firstBreak' in result)
  t.same(await expectStatus(h, 'admin', 'GET', '/v1/audit/verify', undefined, 200), result, 'same answer for admin, and stable')
  for (const who of ['viewer', 'op1'] as const) await expectStatus(h, who, 'GET', '/v1/audit/verify', undefined, 403)
  await expectStatus(h, null, 'GET', '/v1/audit/verify', undefined, 401)
})
