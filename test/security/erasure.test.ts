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
import { allIndicators, stateDigest } from '../../src/read/audit'
import { exportLog } from '../../src/tools/transfer'
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
  // Every free-text or identifying field of the learner's later events (domain.md, "Erasure").
  screeningReason: 'canary screening remark qx81',
  finalScore: '"finalScore":63.25',
  employerName: 'Canary Widgets Zq SARL',
  employerLegalId: 'ICE-CANARY-55103',
  jobTitle: 'canary wrangler qz',
  monthlySalaryMad: '"monthlySalaryMad":98765.5',
  evidenceSha256: 'ca11ab1e'.repeat(8),
  retractionReason: 'canary retraction note zx42',
  // Recorded after the erasure: never kept.
  laterEmployer: 'Canary Later Employer Yq',
  laterJobTitle: 'canary later title wq',
}
const needles = Object.entries(CANARY).filter(([name]) => name !== 'learnerId')
/** The canary learner's events that carry personal fields, by eventId (re-sent after the erasure). */
const CANARY_EVENTS = {
  completed: '11111111-1111-4111-8111-000000000001',
  placement: '11111111-1111-4111-8111-000000000002',
  followUp: '11111111-1111-4111-8111-000000000003',
  retraction: '11111111-1111-4111-8111-000000000004',
  enrolled: '11111111-1111-4111-8111-000000000005',
}
const canaryCompleted = { eventId: CANARY_EVENTS.completed, type: 'TrainingCompleted', data: { cohortId: 'C-3', completedOn: '2025-05-02', certified: true, finalScore: 63.25 } }
const canaryPlacement = {
  eventId: CANARY_EVENTS.placement, type: 'PlacementRecorded', data: {
    placementId: 'P-1', employer: { name: CANARY.employerName, legalId: CANARY.employerLegalId }, sector: 'IT services',
    jobTitle: CANARY.jobTitle, contractType: 'cdi', startDate: '2025-06-02', monthlySalaryMad: 98765.5, region: 'MA-06',
    evidence: { kind: 'contract', sha256: CANARY.evidenceSha256 },
  },
}
const canaryEnrolled = { ...s.enrolled('C-3'), eventId: CANARY_EVENTS.enrolled }
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
    const events = id === CANARY.learnerId
      ? [application, { type: 'ApplicationScreened', data: { decision: 'accepted', screenedOn: '2024-12-15', reason: CANARY.screeningReason } },
          canaryEnrolled, canaryCompleted, canaryPlacement]
      : [application, s.screened(), s.enrolled('C-3'), s.completed('C-3'), s.placement()]
    await s.expectStatus(h as never, 'op1', 'POST', `/v1/learners/${id}/events`, { events }, 201)
  }
  // A follow-up, retracted with a free-text reason.
  await s.expectStatus(h as never, 'op1', 'POST', `/v1/learners/${CANARY.learnerId}/events`, {
    eventId: CANARY_EVENTS.followUp, type: 'FollowUpRecorded', data: { monthsAfterCompletion: 6, status: 'employed', surveyedOn: '2025-11-02' },
  }, 201)
  await s.expectStatus(h as never, 'op1', 'POST', `/v1/learners/${CANARY.learnerId}/events`, {
    eventId: CANARY_EVENTS.retraction, type: 'EventRetracted', data: { retractedEventId: CANARY_EVENTS.followUp, reason: CANARY.retractionReason },
  }, 201)
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
  t.same(found(before.learner), ['birthYear', 'region', 'educationLevel', 'background', 'screeningReason', 'finalScore',
    'employerName', 'employerLegalId', 'jobTitle', 'monthlySalaryMad'], 'the learner view shows the attributes and the personal fields')
  t.ok(found(before['indicators-region']).includes('region'), 'MA-11 is a region group')
  t.same(found(before.auditEvents), [], 'the stored form never holds them in clear')
  const storedTypes = (await h.ledger.store.readStream(`learner-${CANARY.learnerId}`)).map((e) => `${e.type}/${e.schemaVersion}`)
  t.same(storedTypes, ['ApplicationSubmitted/2', 'ApplicationScreened/2', 'LearnerEnrolled/1', 'TrainingCompleted/2', 'PlacementRecorded/2',
    'FollowUpRecorded/1', 'EventRetracted/2', 'PlacementVerified/1'], 'every event with personal fields is stored sealed, at its version')
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

  // Its other events go on, their personal fields stored as erased: neither sealed nor kept.
  const later = {
    type: 'PlacementRecorded', data: {
      placementId: 'P-2', employer: { name: CANARY.laterEmployer, legalId: 'ICE-LATER-1' }, sector: 'IT services', jobTitle: CANARY.laterJobTitle,
      contractType: 'internship', startDate: '2025-12-01', monthlySalaryMad: 3000, region: 'MA-06', evidence: { kind: 'contract', sha256: 'b'.repeat(64) },
    },
  }
  await s.expectStatus(h as never, 'op1', 'POST', `/v1/learners/${CANARY.learnerId}/events`, later, 201)
  const laterStored = (await h.ledger.store.readStream(`learner-${CANARY.learnerId}`)).at(-1)!
  t.match(laterStored, { type: 'PlacementRecorded', schemaVersion: 2, data: { placementId: 'P-2', personal: 'erased', evidence: { kind: 'contract' } } })
  t.notOk('employer' in laterStored.data, 'no employer kept')
  // Re-sends: what they carry can no longer be compared with the erased record.
  for (const [name, event] of [['completion', canaryCompleted], ['placement', canaryPlacement]] as const) {
    const res = await h.call('op1', { method: 'POST', url: `/v1/learners/${CANARY.learnerId}/events`, payload: event })
    t.match(res.json(), { statusCode: 409, code: 'personal-data-erased' }, `a re-sent ${name}: 409 personal-data-erased`)
  }
  const enrolledAgain = await h.call('op1', { method: 'POST', url: `/v1/learners/${CANARY.learnerId}/events`, payload: canaryEnrolled })
  t.ok(enrolledAgain.statusCode < 300, `a re-sent event with nothing personal still answers its original result (${enrolledAgain.statusCode})`)

  // After: nowhere.
  const after = await answers(h)
  for (const [name, text] of Object.entries(after)) t.same(found(text), [], `answer ${name}: no canary`)
  const view = JSON.parse(after.learner.slice(4)) as { completion: Record<string, unknown>; placements: Array<Record<string, unknown>> }
  t.match(view, {
    application: { gender: 'erased', birthYear: 'erased', region: 'erased', educationLevel: 'erased', background: 'erased' },
    screening: { decision: 'accepted', reason: 'erased' },
    completion: { cohortId: 'C-3', certified: true },
    placements: [
      { placementId: 'P-1', employer: { name: 'erased' }, jobTitle: 'erased', sector: 'IT services', contractType: 'cdi', region: 'MA-06' },
      { placementId: 'P-2', employer: { name: 'erased' }, jobTitle: 'erased', contractType: 'internship' },
    ],
  }, 'the learner view reads erased')
  t.notOk('finalScore' in view.completion, 'finalScore absent')
  t.ok(view.placements.every((p) => !('monthlySalaryMad' in p) && !('legalId' in (p.employer as object))), 'salary and legal id absent')
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

/** Every count of every group summed: what a grouping's groups add up to. */
function totals(groups: ReadonlyArray<object>): Record<string, number> {
  const out: Record<string, number> = {}
  const add = (prefix: string, o: object) => {
    for (const [k, v] of Object.entries(o)) {
      if (typeof v === 'number' && !k.endsWith('Rate')) out[prefix + k] = (out[prefix + k] ?? 0) + v
      else if (typeof v === 'object' && v !== null) add(`${prefix}${k}.`, v)
    }
  }
  for (const g of groups) add('', g)
  return out
}

t.test('every figure, by every grouping, is the same before and after an erasure', async (t) => {
  const h = await privacyHarness(t)
  await runProgramme(h)
  const knownAt = '2099-01-01T00:00:00.000Z'
  const before = allIndicators(h.ledger.runner.state, AS_OF, knownAt)
  await s.expectStatus(h as never, 'admin', 'POST', `/v1/learners/${CANARY.learnerId}/erasure`, undefined, 201)
  const after = allIndicators(h.ledger.runner.state, AS_OF, knownAt)
  // Groupings by an application attribute move the learner to the `erased` group, and only that.
  const byAttribute = new Set(['gender', 'region', 'ageBand'])
  let compared = 0
  for (const [definition, byGroup] of Object.entries(before)) {
    for (const [groupBy, groups] of Object.entries(byGroup as Record<string, object[]>)) {
      const now = (after as Record<string, Record<string, object[]>>)[definition][groupBy]
      compared++
      if (byAttribute.has(groupBy)) t.same(totals(now), totals(groups), `${definition} by ${groupBy}: the same totals`)
      else t.same(now, groups, `${definition} by ${groupBy}: the same groups and figures`)
    }
  }
  t.ok(compared >= 16, 'every definition and grouping compared')
  const replayed = JSON.parse((await h.call('auditor', { method: 'POST', url: '/v1/audit/replay', payload: { asOf: AS_OF } })).body) as { digest: string }
  t.equal(replayed.digest, stateDigest(h.ledger.runner.state), 'a replay agrees with the live state')
})
