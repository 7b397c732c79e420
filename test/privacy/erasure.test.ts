/**
 * Erasure's edges: a crash between the event and the key's destruction, applications recorded in
 * clear (schema version 1), and ledgers written before sealing existed, read by this build.
 */
import { randomUUID } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { allIndicators, replay, stateDigest } from '../../src/read/audit'
import { personKey } from '../../src/auth/pepper'
import type { ProposedEvent } from '../../src/store/types'
import { harness, HARNESS_NOW } from '../support/harness'
import * as s from '../support/scenario'
import { PEPPER, privacyHarness, serviceLedger, type PrivacyHarness } from './harness'

const actor = { keyId: 'admin', role: 'admin' as const }

async function learner(h: PrivacyHarness, learnerId: string, nationalId: string, extra: Record<string, unknown> = {}) {
  await s.expectStatus(h as never, 'op1', 'POST', `/v1/learners/${learnerId}/events`, {
    events: [s.application(nationalId, 'OP-1', extra), s.screened(), s.enrolled(), s.completed()],
  }, 201)
}

/** What the eraser records first: the event alone, as if the process died right after it. */
async function eventOnly(h: PrivacyHarness, learnerId: string): Promise<number> {
  const streamId = `learner-${learnerId}`
  const stored = await h.ledger.store.readStream(streamId)
  const result = await h.ledger.store.append(streamId, stored.length - 1, [{
    eventId: randomUUID(), type: 'PersonalDataErased', schemaVersion: 1,
    data: { learnerId, erasedOn: '2025-09-01', reason: 'data-subject-request' }, actor, correlationId: 'c',
  }])
  await h.ledger.runner.require(result.position)
  return result.position
}

const snapshotText = (h: PrivacyHarness) =>
  readdirSync(join(h.dataDir, 'snapshots')).map((f) => readFileSync(join(h.dataDir, 'snapshots', f), 'latin1')).join('')

t.test('a crash after the event and before the key: the next start finishes the erasure', async (t) => {
  let h = await privacyHarness(t)
  await s.setUp(h as never)
  await learner(h, 'L-1', 'CR-1', { educationLevel: 'doctorate' })
  await h.ledger.runner.snapshot()
  t.match(snapshotText(h), /doctorate/, 'a snapshot holds the attributes')
  await eventOnly(h, 'L-1')
  t.ok(h.ledger.personalData?.keys.get('L-1'), 'the key is still there (the crash)')
  t.match((await h.call('admin', { method: 'GET', url: '/v1/learners/L-1' })).json(), { application: { educationLevel: 'erased' } },
    'the projection already reads erased: the event is what counts')
  h = await h.reopen()
  t.ok(h.ledger.personalData?.keys.isDestroyed('L-1'), 'the start destroyed the key')
  t.notMatch(snapshotText(h), /doctorate/, 'and removed the snapshot that held the attributes')
  t.same((await h.call('admin', { method: 'POST', url: '/v1/learners/L-1/erasure' })).statusCode, 200, 'erasing again: already done')
})

t.test('a crash after the event: the next call finishes it, and writes nothing', async (t) => {
  const h = await privacyHarness(t)
  await s.setUp(h as never)
  await learner(h, 'L-1', 'CR-2')
  const position = await eventOnly(h, 'L-1')
  const res = await h.call('admin', { method: 'POST', url: '/v1/learners/L-1/erasure' })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { learnerId: 'L-1', position, erasedOn: '2025-09-01', reason: 'data-subject-request' })
  t.ok(h.ledger.personalData?.keys.isDestroyed('L-1'))
  t.equal(await h.ledger.store.headPosition(), position, 'nothing new recorded')
})

t.test('an erased learnerId never takes a new application; its other events go on', async (t) => {
  const h = await privacyHarness(t)
  await s.setUp(h as never)
  await learner(h, 'L-1', 'CR-3')
  await s.expectStatus(h as never, 'admin', 'POST', '/v1/learners/L-1/erasure', undefined, 201)
  const resend = await h.call('op1', { method: 'POST', url: '/v1/learners/L-1/events', payload: s.application('CR-3') })
  t.match(resend.json(), { statusCode: 409, code: 'personal-data-erased' })
  await s.expectStatus(h as never, 'op1', 'POST', '/v1/learners/L-1/events', s.placement(), 201)
  const erasure = (await h.ledger.store.readStream('learner-L-1')).find((e) => e.type === 'PersonalDataErased')!.eventId
  const retract = (as: 'op1' | 'admin') => h.call(as, {
    method: 'POST', url: '/v1/learners/L-1/events',
    payload: { type: 'EventRetracted', data: { retractedEventId: erasure, reason: 'undo' } },
  })
  t.match(resend.statusCode, 409)
  t.match((await retract('op1')).json(), { statusCode: 403, code: 'forbidden' }, 'the operator did not record the erasure')
  t.match((await retract('admin')).json(), { statusCode: 409, code: 'cannot-retract' }, 'an erasure cannot be retracted, even by an admin')
})

/** An application as version 1 stored it, every attribute in clear, appended to the store as is. */
function clearApplication(learnerId: string, nationalId: string): ProposedEvent {
  return {
    eventId: randomUUID(), type: 'ApplicationSubmitted', schemaVersion: 1, actor: { keyId: 'op1', role: 'operator', operatorId: 'OP-1' }, correlationId: 'c',
    data: {
      learnerId, operatorId: 'OP-1', personKey: personKey(PEPPER, nationalId), gender: 'male', birthYear: 1990,
      region: 'MA-04', educationLevel: 'bac', background: 'other', submittedOn: '2024-12-02',
    },
  }
}

t.test('an application recorded in clear (version 1) cannot be erased: 409 personal-data-in-clear', async (t) => {
  const h = await privacyHarness(t)
  await s.setUp(h as never)
  const { position } = await h.ledger.store.append('learner-L-OLD', -1, [clearApplication('L-OLD', 'OLD-1')])
  await h.ledger.runner.require(position)
  t.match((await h.call('admin', { method: 'GET', url: '/v1/learners/L-OLD' })).json(), { application: { region: 'MA-04', birthYear: 1990 } },
    'version 1 reads as before')
  const res = await h.call('admin', { method: 'POST', url: '/v1/learners/L-OLD/erasure' })
  t.match(res.json(), { statusCode: 409, code: 'personal-data-in-clear', message: /schema version 1/ })
  t.equal(await h.ledger.store.headPosition(), position, 'nothing written')
  // The same person applying again, sealed this time: the person rule sees across versions.
  const again = await h.call('op1', { method: 'POST', url: '/v1/learners/L-NEW/events', payload: s.application('OLD-1') })
  t.match(again.json(), { code: 'person-has-active-record' })
})

t.test('a ledger written before sealing reads the same with this build: state, indicators, replay digest', async (t) => {
  // Written in clear, as every ledger was before: the harness's ledger has no key store.
  const old = await harness(t, { clearApplications: true })
  await s.setUp(old)
  for (const [id, nid] of [['L-1', 'V1-1'], ['L-2', 'V1-2']]) {
    await s.expectStatus(old, 'op1', 'POST', `/v1/learners/${id}/events`, { events: [s.application(nid), s.screened(), s.enrolled(), s.completed(), s.placement()] }, 201)
  }
  const clear = await old.ledger.store.append('learner-L-3', -1, [clearApplication('L-3', 'V1-3')])
  await old.ledger.runner.require(clear.position)
  const stored = []
  for await (const e of old.ledger.store.readAll()) stored.push(e)
  t.ok(stored.filter((e) => e.type === 'ApplicationSubmitted').every((e) => e.schemaVersion === 1), 'every application in clear')
  const asOf = '2026-01-01'
  const knownAt = HARNESS_NOW
  const digest = stateDigest(old.ledger.runner.state)
  const figures = allIndicators(old.ledger.runner.state, asOf, knownAt)

  // This build, with its key store, over the same file.
  const now = serviceLedger(old.dataDir)
  await now.start()
  t.teardown(() => now.close())
  t.equal(stateDigest(now.runner.state), digest, 'the same projection state')
  t.same(allIndicators(now.runner.state, asOf, knownAt), figures, 'the same figures, every definition and grouping')
  const replayed = await replay(now.store, { asOf, knownAt, decryptor: now.personalData?.decryptor })
  t.equal(replayed.digest, digest, 'the same replay digest')
  t.same((await replay(now.store, { asOf, knownAt })).digest, digest, 'with or without a decryptor: nothing is sealed')
})

t.test('a later event recorded in clear (version 1, before its type was sealed) also stops the erasure: 409 personal-data-in-clear', async (t) => {
  const h = await privacyHarness(t)
  await s.setUp(h as never)
  await learner(h, 'L-1', 'CR-4')
  const stored = await h.ledger.store.readStream('learner-L-1')
  const placement = s.placement()
  const { position } = await h.ledger.store.append('learner-L-1', stored.length - 1, [{
    eventId: randomUUID(), type: 'PlacementRecorded', schemaVersion: 1, actor: { keyId: 'op1', role: 'operator', operatorId: 'OP-1' }, correlationId: 'c',
    data: { learnerId: 'L-1', ...placement.data },
  }])
  await h.ledger.runner.require(position)
  t.match((await h.call('admin', { method: 'GET', url: '/v1/learners/L-1' })).json(), { placements: [{ employer: { name: 'Atlas Digital' } }] }, 'version 1 reads as stored')
  const res = await h.call('admin', { method: 'POST', url: '/v1/learners/L-1/erasure' })
  t.match(res.json(), { statusCode: 409, code: 'personal-data-in-clear', message: /PlacementRecorded schema version 1/ })
  t.equal(await h.ledger.store.headPosition(), position, 'nothing written')
  t.notOk(h.ledger.personalData?.keys.isDestroyed('L-1'), 'the key is kept')
})
