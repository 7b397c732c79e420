/**
 * Erasure by crypto-shredding, end to end: plant canary values, run a small programme through
 * HTTP, export, snapshot, log; erase; then look for the canaries everywhere a byte of them could
 * survive: every file of the data dir, the logs, the exports, every answer about the learner.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import t from 'tap'
import { upcast, type Envelope } from '../../events'
import { stateDigest } from '../../src/app/audit'
import { exportLog } from '../../src/app/transfer'
import { normaliseNationalId, personKey } from '../../src/auth/pepper'
import * as s from '../support/scenario'
import { PEPPER, privacyHarness, type PrivacyHarness } from '../privacy/harness'

const CANARY_ID = 'zq-77.31 0-44x'
const CANARY = {
  learnerId: 'L-CANARY',
  nationalId: CANARY_ID,
  normalisedId: normaliseNationalId(CANARY_ID),
  personKey: personKey(PEPPER, CANARY_ID),
  // Attributes no other learner of the scenario has, each a string that can only come from it.
  birthYear: '"birthYear":1977',
  region: 'MA-11',
  educationLevel: 'doctorate',
  background: 'humanities-law',
}
const needles = Object.entries(CANARY).filter(([name]) => name !== 'learnerId')
const AS_OF = '2026-01-01'

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = join(dir, name)
    return statSync(file).isDirectory() ? filesUnder(file) : [file]
  })
}

/** The canaries found in `text`, by name. */
const found = (text: string | Buffer) => needles.filter(([, value]) => (typeof text === 'string' ? text.includes(value) : text.includes(value))).map(([n]) => n)

async function exported(h: PrivacyHarness): Promise<string> {
  const chunks: Buffer[] = []
  const out = new Writable({ write(chunk: Buffer, _e, done) { chunks.push(Buffer.from(chunk)); done() } })
  await exportLog(h.ledger.store, out)
  return Buffer.concat(chunks).toString('utf8')
}

async function runProgramme(h: PrivacyHarness): Promise<void> {
  await s.setUp(h as never)
  await s.expectStatus(h as never, 'admin', 'PUT', '/v1/programme/target', { learnersTarget: 50, deadline: '2026-12-31' }, 201)
  await s.expectStatus(h as never, 'op1', 'POST', '/v1/cohorts', s.cohort('C-3', 'OP-1', { capacity: 10 }), 201)
  const learners: Array<[string, ReturnType<typeof s.application>]> = [
    ['L-1', s.application('AB100001')],
    ['L-2', s.application('AB100002', 'OP-1', { gender: 'male', birthYear: 1999 })],
    ['L-3', s.application('AB100003', 'OP-1', { birthYear: 1996, region: 'MA-01' })],
    [CANARY.learnerId, s.application(CANARY.nationalId, 'OP-1', { birthYear: 1977, region: 'MA-11', educationLevel: 'doctorate', background: 'humanities-law' })],
  ]
  for (const [id, application] of learners) {
    await s.expectStatus(h as never, 'op1', 'POST', `/v1/learners/${id}/events`, {
      events: [application, s.screened(), s.enrolled('C-3'), s.completed('C-3'), s.placement()],
    }, 201)
  }
  await s.expectStatus(h as never, 'auditor', 'POST', `/v1/learners/${CANARY.learnerId}/events`,
    { type: 'PlacementVerified', data: { placementId: 'P-1', method: 'cnss-match', outcome: 'confirmed', verifiedOn: '2025-07-01' } }, 201)
}

/** Every answer the service gives that could speak of the canary learner. */
async function answers(h: PrivacyHarness): Promise<Record<string, string>> {
  const get = async (as: 'admin' | 'auditor' | 'op1', url: string) => {
    const res = await h.call(as, { method: 'GET', url })
    return `${res.statusCode} ${res.body}`
  }
  const out: Record<string, string> = {}
  out.learner = await get('admin', `/v1/learners/${CANARY.learnerId}`)
  out.learnerAsOperator = await get('op1', `/v1/learners/${CANARY.learnerId}`)
  out.learnerEvents = await get('auditor', `/v1/learners/${CANARY.learnerId}/events`)
  out.auditEvents = await get('auditor', '/v1/audit/events')
  out.roster = await get('admin', '/v1/cohorts/C-3/roster')
  for (const groupBy of ['programme', 'gender', 'region', 'ageBand', 'operator', 'cohort']) {
    out[`indicators-${groupBy}`] = await get('admin', `/v1/indicators/insertion?groupBy=${groupBy}&asOf=${AS_OF}`)
    out[`indicators-csv-${groupBy}`] = await get('admin', `/v1/indicators/insertion?groupBy=${groupBy}&asOf=${AS_OF}&format=csv`)
  }
  // (No query names a canary itself: the answer, and the access log, would echo it.)
  for (const [groupBy, key] of [['gender', 'erased'], ['gender', 'female'], ['ageBand', '36+'], ['region', 'erased']]) {
    out[`explain-${groupBy}-${key}`] = await get('auditor', `/v1/audit/explain/insertion?groupBy=${groupBy}&key=${key}&asOf=${AS_OF}`)
  }
  const replay = await h.call('auditor', { method: 'POST', url: '/v1/audit/replay', payload: { asOf: AS_OF } })
  out.replay = replay.body
  return out
}

type Group = { key: string; applicants: number; completed: number; placed: number; placedVerified: number }
async function groups(h: PrivacyHarness, groupBy: string): Promise<Record<string, Group>> {
  const res = await h.call('admin', { method: 'GET', url: `/v1/indicators/insertion?groupBy=${groupBy}&asOf=${AS_OF}` })
  const body = res.json() as { groups: Group[] }
  return Object.fromEntries(body.groups.map((g) => [g.key, g]))
}

t.test('after erasure no canary value is readable anywhere; totals and chains are unchanged', async (t) => {
  const h = await privacyHarness(t)
  await runProgramme(h)

  // Before: the canaries are where they should be, so that the checks after can fail.
  const before = await answers(h)
  t.same(found(before.learner), ['birthYear', 'region', 'educationLevel', 'background'], 'the learner view shows the attributes')
  t.ok(found(before['indicators-region']).includes('region'), 'MA-11 is a region group')
  t.same(found(before.auditEvents), [], 'the stored form never holds them in clear')
  await h.ledger.runner.snapshot()
  const snapshotsBefore = filesUnder(join(h.dataDir, 'snapshots'))
  t.equal(snapshotsBefore.length, 1)
  t.ok(found(readFileSync(snapshotsBefore[0])).includes('educationLevel'), 'a snapshot holds decrypted attributes')
  for (const file of filesUnder(h.dataDir).filter((f) => !f.includes('snapshots'))) {
    t.same(found(readFileSync(file)), [], `${file}: nothing in clear even before erasure`)
  }
  const exportBefore = await exported(h)
  t.same(found(exportBefore), [], 'an export holds ciphertext only')
  // A copy: the store zeroes its own buffer when it destroys the key.
  const rawKey = Buffer.from(h.ledger.personalData?.keys.get(CANARY.learnerId) ?? Buffer.alloc(0))
  t.ok(rawKey, 'the learner has a key')
  const programmeBefore = await groups(h, 'programme')
  const genderBefore = await groups(h, 'gender')
  const storedBefore = (await h.ledger.store.readStream(`learner-${CANARY.learnerId}`)).map((e) => e.metadata.hash)
  t.equal((await h.call('op1', { method: 'POST', url: '/v1/learners/L-DUP/events', payload: s.application(CANARY.nationalId) })).json().code,
    'person-has-active-record', 'before: the person rule sees the canary person')

  // Who may erase: admin only; an unknown learner is 404.
  for (const as of ['op1', 'op2', 'auditor', 'viewer'] as const) {
    t.equal((await h.call(as, { method: 'POST', url: `/v1/learners/${CANARY.learnerId}/erasure` })).statusCode, 403, `${as}: 403`)
  }
  t.equal((await h.call(null, { method: 'POST', url: `/v1/learners/${CANARY.learnerId}/erasure` })).statusCode, 401)
  t.equal((await h.call('admin', { method: 'POST', url: '/v1/learners/L-NOBODY/erasure' })).statusCode, 404)
  t.equal((await h.call('admin', { method: 'POST', url: `/v1/learners/${CANARY.learnerId}/erasure`, payload: { reason: 'free text' } })).statusCode, 400)

  const erased = await h.call('admin', { method: 'POST', url: `/v1/learners/${CANARY.learnerId}/erasure`, payload: { reason: 'data-subject-request' } })
  t.equal(erased.statusCode, 201, erased.body)
  const again = await h.call('admin', { method: 'POST', url: `/v1/learners/${CANARY.learnerId}/erasure` })
  t.equal(again.statusCode, 200, 'a second call: 200')
  t.same(again.json(), erased.json(), '...with the same answer')
  const stream = await h.ledger.store.readStream(`learner-${CANARY.learnerId}`)
  t.same(stream.map((e) => e.type).slice(-1), ['PersonalDataErased'])
  t.equal(stream.filter((e) => e.type === 'PersonalDataErased').length, 1, 'the second call wrote nothing')
  t.match(stream[stream.length - 1].metadata.actor, { keyId: 'admin', role: 'admin' }, 'the actor is on record')
  t.same(stream.slice(0, storedBefore.length).map((e) => e.metadata.hash), storedBefore, 'recorded events are untouched')

  // After: nowhere.
  const after = await answers(h)
  for (const [name, text] of Object.entries(after)) t.same(found(text), [], `answer ${name}: no canary`)
  t.match(JSON.parse(after.learner.slice(4)), {
    application: { gender: 'erased', birthYear: 'erased', region: 'erased', educationLevel: 'erased', background: 'erased' },
  }, 'the learner view reads erased')
  for (const file of filesUnder(h.dataDir)) {
    const bytes = readFileSync(file)
    t.same(found(bytes), [], `${file.slice(h.dataDir.length)}: no canary`)
    t.notOk(bytes.includes(rawKey as Buffer), `${file.slice(h.dataDir.length)}: not the learner's key`)
  }
  const snapshotsAfter = filesUnder(join(h.dataDir, 'snapshots'))
  t.notOk(snapshotsAfter.includes(snapshotsBefore[0]), 'the snapshot older than the erasure is gone')
  t.equal(snapshotsAfter.length, 1, 'a fresh one replaces it')
  t.same(found(h.logs.join('\n')), [], 'the logs, at trace level')
  t.ok(h.logs.map((l) => JSON.parse(l)).some((l) => l.learnerId === CANARY.learnerId && l.duplicate === false), 'the logs were captured: the erasure is in them')
  const exportAfter = await exported(h)
  t.same(found(exportAfter), [], 'an export after')
  const application = exportBefore.split('\n').map((l) => JSON.parse(l || 'null') as Envelope | null)
    .find((e) => e?.type === 'ApplicationSubmitted' && e.streamId === `learner-${CANARY.learnerId}`) as Envelope
  t.match(upcast(application, h.ledger.personalData?.decryptor).data, { gender: 'erased' }, 'an export taken before opens no more')

  // The record stays whole: chains verify, every total is unchanged, the groups move to erased.
  const verify = await h.call('auditor', { method: 'GET', url: '/v1/audit/verify' })
  t.match(verify.json(), { ok: true }, 'verify passes')
  t.same(await groups(h, 'programme'), programmeBefore, 'programme totals unchanged')
  const genderAfter = await groups(h, 'gender')
  t.equal(genderAfter.female.applicants, genderBefore.female.applicants - 1)
  t.match(genderAfter.erased, { applicants: 1, completed: 1, placed: 1, placedVerified: 1 }, 'the learner counts under erased')
  t.match((await groups(h, 'ageBand')).erased, { applicants: 1 })
  t.match((await groups(h, 'region')).erased, { applicants: 1 })
  t.notOk('MA-11' in (await groups(h, 'region')))
  const replayed = JSON.parse(after.replay) as { digest: string }
  t.equal(replayed.digest, stateDigest(h.ledger.runner.state), 'a replay after the erasure gives the live state')

  // The person rule no longer sees the erased learner's key.
  t.equal((await h.call('op1', { method: 'POST', url: '/v1/learners/L-DUP/events', payload: s.application(CANARY.nationalId) })).statusCode, 201,
    'after: the same person may apply again')
})

t.test('a restart after erasure: the state, its digest and the answers stay erased', async (t) => {
  let h = await privacyHarness(t)
  await runProgramme(h)
  await s.expectStatus(h as never, 'admin', 'POST', `/v1/learners/${CANARY.learnerId}/erasure`, undefined, 201)
  const digest = stateDigest(h.ledger.runner.state)
  h = await h.reopen()
  t.equal(stateDigest(h.ledger.runner.state), digest, 'the restart (from the snapshot) holds the same state')
  t.match((await h.call('admin', { method: 'GET', url: `/v1/learners/${CANARY.learnerId}` })).json(), { application: { region: 'erased' } })
  for (const file of filesUnder(h.dataDir)) t.same(found(readFileSync(file)), [], `${file.slice(h.dataDir.length)}: no canary`)
})
