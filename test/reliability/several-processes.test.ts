/**
 * Several writers on one SQLite ledger: two, then three, real `serve` processes on one data
 * directory (one ledger.db, keys file, pepper and personal-keys.db), requests spread over them
 * at once. The rules that span streams hold across processes, not only within one:
 * - 50 learners racing for 20 seats: exactly 20 seated, 30 told cohort-full, and every instance
 *   counts 20 seats taken and lists 20 on the roster;
 * - one person applying through two operators on two instances at once (10 persons): one
 *   record, the other told person-has-active-record;
 * - applications sealed on one instance open on the others (a third one started afterwards
 *   included), and the figures by gender and by region are the same on every instance at one
 *   position;
 * - one instance killed (SIGKILL) while writes are in flight to it and to the others: every
 *   acknowledged write is in the log the survivors serve, once, and every hash chain verifies.
 */
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { application, cohort, enrolled, operator, screened } from '../support/scenario'
import { auditLog, caughtUp, Deployment, highestPosition, type Instance } from './instances'
import { isAcknowledged, learnerLife, send, type PlannedRequest } from './plans'
import { NetworkError, type Answer } from './support'

// Real processes, each started through tsx: slow on a loaded machine. A bound against hangs, not a timing test.
t.setTimeout(300_000)

const SEATS = 20
const RACERS = 50
const SEATED_COHORT = 'C-SEATS'
const ROOMY_COHORT = 'C-ROOMY'
/** Business dates and the indicators' asOf: fixed, so that nothing reads today's date. */
const AS_OF = '2025-12-31'

const pad = (i: number, width = 2) => String(i).padStart(width, '0')
/** Round-robin over instances: the i-th request goes to the (i mod n)-th. */
const on = (instances: readonly Instance[], i: number): Instance => instances[i % instances.length]
const briefly = (a: Answer) => ({ status: a.status, code: a.body?.code, message: a.body?.message })

const dataDir = mkdtempSync(join(tmpdir(), 'ledger-several-'))
const deployment = new Deployment(dataDir)
// The processes first, then their directory.
t.teardown(async () => {
  await deployment.dispose()
  rmSync(dataDir, { recursive: true, force: true })
})
let A: Instance
let B: Instance
let C: Instance | undefined

t.before(async () => {
  ;[A, B] = await deployment.start(2)
  // Setup written on both: each instance decides on what the other wrote.
  const setup = [
    await A.admin.post('/v1/operators', operator('OP-1')),
    await B.admin.post('/v1/operators', operator('OP-2')),
    await A.admin.post('/v1/cohorts', cohort(SEATED_COHORT, 'OP-1', { capacity: SEATS })),
    await B.admin.post('/v1/cohorts', cohort(ROOMY_COHORT, 'OP-1', { capacity: 10_000 })),
  ]
  const refused = setup.filter((a) => a.status !== 201).map(briefly)
  if (refused.length > 0) throw new Error(`setup refused: ${JSON.stringify(refused)}`)
})

t.test(`${RACERS} learners race for ${SEATS} seats through two processes`, async (t) => {
  const both = [A, B]
  const ids = Array.from({ length: RACERS }, (_, i) => `SEAT-${pad(i)}`)
  const accepted = await Promise.all(ids.map((id, i) =>
    on(both, i).admin.post(`/v1/learners/${id}/events`, { events: [application(`SEAT-NID-${i}`), screened()] })))
  t.same(accepted.filter((a) => a.status !== 201).map(briefly), [], `${RACERS} learners applied and accepted, on both instances`)

  // Both instances hold every acceptance: the race starts from one state on both. Each enrolment
  // then goes to the instance that did not write the learner's application.
  await caughtUp(both, highestPosition(accepted))
  const enrolments = await Promise.all(ids.map((id, i) =>
    on(both, i + 1).admin.post(`/v1/learners/${id}/events`, enrolled(SEATED_COHORT))))
  const seated = ids.filter((_, i) => enrolments[i].status === 201)
  const full = enrolments.filter((a) => a.status === 409 && a.body.code === 'cohort-full')
  const otherwise = enrolments.filter((a) => a.status !== 201 && !full.includes(a)).map(briefly)
  const byInstance = both.map((x) => `${x.name} ${enrolments.filter((a, i) => a.status === 201 && on(both, i + 1) === x).length}`).join(', ')
  t.comment(`seats: ${seated.length} seated of ${SEATS} (${Math.max(0, seated.length - SEATS)} over capacity; by instance: ${byInstance}), ` +
    `${full.length} cohort-full, ${otherwise.length} otherwise`)
  t.equal(seated.length, SEATS, `exactly ${SEATS} enrolments accepted (201)`)
  t.equal(full.length, RACERS - SEATS, `the other ${RACERS - SEATS} refused 409 cohort-full`)
  t.same(otherwise, [], 'no other answer')

  const position = highestPosition([...accepted, ...enrolments])
  for (const x of both) {
    const cohorts = await x.admin.get(`/v1/cohorts?minPosition=${position}`)
    t.equal(cohorts.status, 200, `${x.name}: /v1/cohorts at position ${position}`)
    const summary = cohorts.body.cohorts?.find((c: { cohortId: string }) => c.cohortId === SEATED_COHORT)
    t.equal(summary?.seatsTaken, SEATS, `${x.name}: seatsTaken ${SEATS}`)
    const roster = await x.admin.get(`/v1/cohorts/${SEATED_COHORT}/roster?minPosition=${position}`)
    t.equal(roster.status, 200, `${x.name}: the roster at position ${position}`)
    t.same(roster.body.learners?.map((l: { learnerId: string }) => l.learnerId), seated, `${x.name}: the roster lists the ${seated.length} seated, no one else`)
  }
})

t.test('one person through two operators on two instances at once, 10 times: one record each', async (t) => {
  const PERSONS = 10
  const outcomes: Array<{ person: number; first: ReturnType<typeof briefly>; second: ReturnType<typeof briefly> }> = []
  const answers: Answer[] = []
  const refusedIds: string[] = []
  for (let person = 0; person < PERSONS; person++) {
    // Both instances hold the previous rounds: neither is still polling for the other's last write.
    await caughtUp([A, B], highestPosition(answers))
    const nationalId = `TWIN-NID-${person}`
    // Which instance gets which operator changes every round.
    const [x, y] = person % 2 === 0 ? [A, B] : [B, A]
    const ids = [`TWIN-${pad(person)}-A`, `TWIN-${pad(person)}-B`]
    const pair = await Promise.all([
      x.op1.post(`/v1/learners/${ids[0]}/events`, application(nationalId, 'OP-1')),
      y.op2.post(`/v1/learners/${ids[1]}/events`, application(nationalId, 'OP-2')),
    ])
    answers.push(...pair)
    outcomes.push({ person, first: briefly(pair[0]), second: briefly(pair[1]) })
    pair.forEach((a, i) => { if (a.status === 409) refusedIds.push(ids[i]) })
  }
  const wrong = outcomes.filter(({ first, second }) => {
    const statuses = [first.status, second.status].sort()
    const refusal = first.status === 409 ? first : second
    return statuses[0] !== 201 || statuses[1] !== 409 || refusal.code !== 'person-has-active-record'
  })
  const doubled = outcomes.filter(({ first, second }) => first.status === 201 && second.status === 201).length
  t.comment(`person rule: ${PERSONS - wrong.length} of ${PERSONS} persons got one record; ${doubled} got two`)
  t.same(wrong, [], 'each person: one 201 and one 409 person-has-active-record')
  const telling = outcomes.flatMap(({ first, second }) => [first, second]).filter((a) => a.status === 409 && /TWIN-|OP-/.test(String(a.message)))
  t.same(telling, [], 'no 409 says where the active record is')

  // The refused applications left nothing behind, as every instance sees it.
  const position = highestPosition(answers)
  for (const x of [A, B]) {
    const found = await Promise.all(refusedIds.map((id) => x.admin.get(`/v1/learners/${id}?minPosition=${position}`)))
    t.same(found.map((a) => a.status), refusedIds.map(() => 404), `${x.name}: no learner for any refused application`)
  }
})

t.test('applications sealed on one instance read on the others; figures equal on three instances at one position', async (t) => {
  const genders = ['female', 'male', 'undisclosed'] as const
  const regions = ['MA-02', 'MA-03', 'MA-04', 'MA-05'] as const
  const people = Array.from({ length: 12 }, (_, i) => ({
    learnerId: `SEALED-${pad(i)}`,
    gender: genders[i % genders.length],
    region: regions[i % regions.length],
    writer: on([A, B], i),
  }))
  const written = await Promise.all(people.map((p, i) =>
    p.writer.admin.post(`/v1/learners/${p.learnerId}/events`, application(`SEALED-NID-${i}`, 'OP-1', { gender: p.gender, region: p.region }))))
  t.same(written.filter((a) => a.status !== 201).map(briefly), [], 'each application written on A or B')
  const position = highestPosition(written)

  // A third process, started now: it folds the log written by the other two from the start.
  ;[C] = await deployment.start(1)
  const all = [A, B, C]
  const unreadable: unknown[] = []
  for (const p of people) {
    for (const x of all.filter((x) => x !== p.writer)) {
      const read = await x.admin.get(`/v1/learners/${p.learnerId}?minPosition=${position}`)
      const seen = read.body?.application
      if (read.status !== 200 || seen?.gender !== p.gender || seen?.region !== p.region) {
        unreadable.push({ learnerId: p.learnerId, writtenOn: p.writer.name, readOn: x.name, status: read.status, gender: seen?.gender, region: seen?.region })
      }
    }
  }
  t.same(unreadable, [], `each of ${people.length} learners read on the instances that did not write it, with its gender and region`)

  // One position, one moment: known at the latest recordedAt of the log, every event counts.
  const log = await auditLog(A.admin)
  const head = log.at(-1)?.position ?? 0
  t.equal(head, position, 'the log ends at the last position written')
  const knownAt = log.map((e) => e.metadata.recordedAt).reduce((a, b) => (a > b ? a : b))
  for (const groupBy of ['gender', 'region']) {
    const query = `/v1/indicators/insertion?groupBy=${groupBy}&asOf=${AS_OF}&knownAt=${encodeURIComponent(knownAt)}&minPosition=${position}`
    const figures = await Promise.all(all.map((x) => x.admin.get(query)))
    t.same(figures.map((a) => a.status), all.map(() => 200), `by ${groupBy}: answered on ${all.map((x) => x.name).join(', ')}`)
    t.equal(figures[0].body.position, position, `by ${groupBy}: the figures at position ${position}`)
    t.notOk(figures[0].body.groups.some((g: { key: string }) => g.key === 'erased'), `by ${groupBy}: no group of erased attributes`)
    for (let i = 1; i < all.length; i++) t.same(figures[i].body, figures[0].body, `by ${groupBy}: ${all[i].name} answers what A answers`)
    if (groupBy === 'gender') {
      // Only this test wrote male and undisclosed applicants (the others wrote the default, female).
      const applicants = (key: string) => figures[0].body.groups.find((g: { key: string }) => g.key === key)?.applicants
      t.equal(applicants('male'), 4, 'the 4 male applicants counted')
      t.equal(applicants('undisclosed'), 4, 'the 4 undisclosed applicants counted')
    }
  }
})

t.test('one of three instances killed mid-load: nothing acknowledged is lost', async (t) => {
  if (C === undefined) throw new Error('the third instance did not start')
  const victim = C
  const LEARNERS = 60
  const CLIENTS = 12
  /** The victim is killed once it has acknowledged this many requests: about a third of its share. */
  const KILL_AFTER = 25
  const learners = Array.from({ length: LEARNERS }, (_, i) => {
    const learnerId = `LOAD-${pad(i, 3)}`
    return { learnerId, requests: learnerLife(learnerId, `LOAD-NID-${i}`, ROOMY_COHORT) }
  })
  const acknowledged = new Map<string, { by: string; afterKill: boolean }>()
  const failures: string[] = []
  const stats = { requests: 0, byVictim: 0, inFlightAtKill: 0, inFlightElsewhereAtKill: 0, resent: 0, resentFoundRecorded: 0 }
  const inFlight = new Map<string, number>()
  let killed: Promise<number | string> | undefined
  let turn = 0
  // Round-robin over the instances still running: after the kill, over the survivors only.
  const next = () => deployment.running[turn++ % deployment.running.length]

  /** Sends until acknowledged (re-sending to a survivor after the kill); false: refused, which is recorded as a failure. */
  async function request(r: PlannedRequest): Promise<boolean> {
    stats.requests++
    for (let attempt = 0; ; attempt++) {
      const target = next()
      inFlight.set(target.name, (inFlight.get(target.name) ?? 0) + 1)
      let answer: Answer
      try {
        answer = await send(target.admin, r)
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error
        if (target !== victim || killed === undefined) {
          failures.push(`${r.path}: a network error from ${target.name} with no kill under way: ${error.message}`)
          return false
        }
        stats.resent++
        continue // the same request, the same eventIds, to a survivor
      } finally {
        inFlight.set(target.name, inFlight.get(target.name)! - 1)
      }
      if (!isAcknowledged(r, answer)) {
        failures.push(`${r.path} on ${target.name} answered ${answer.status}: ${JSON.stringify(answer.body)}`)
        return false
      }
      if (attempt > 0 && answer.status === 200) stats.resentFoundRecorded++
      for (const eventId of r.eventIds) acknowledged.set(eventId, { by: target.name, afterKill: killed !== undefined })
      if (target === victim) {
        stats.byVictim++
        // Killed at an answer of its own, once others are still on their way to it and to the rest.
        const toVictim = inFlight.get(victim.name) ?? 0
        const toOthers = deployment.running.filter((x) => x !== victim).reduce((n, x) => n + (inFlight.get(x.name) ?? 0), 0)
        if (killed === undefined && stats.byVictim >= KILL_AFTER && toVictim > 0 && toOthers > 0) {
          stats.inFlightAtKill = toVictim
          stats.inFlightElsewhereAtKill = toOthers
          killed = deployment.stop(victim, 'SIGKILL')
        }
      }
      return true
    }
  }

  // Each client owns every CLIENTS-th learner and sends its requests one after the other; a
  // refused request ends that learner's life (what follows would only be refused in turn).
  await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
    for (const l of learners.filter((_, i) => i % CLIENTS === c)) {
      for (const r of l.requests) if (!await request(r)) break
    }
  }))
  t.ok(killed !== undefined, `${victim.name} was killed mid-load, with requests in flight to it and to the others`)
  t.equal(await killed, 'SIGKILL', `${victim.name} died of SIGKILL`)
  t.same(failures, [], 'every request acknowledged (201, or 200 for a re-send found recorded)')
  const ackedBeforeKill = [...acknowledged.values()].filter((a) => !a.afterKill).length
  const ackedByVictim = [...acknowledged.values()].filter((a) => a.by === victim.name).length
  t.comment(`kill: ${stats.requests} requests, ${acknowledged.size} events acknowledged (${ackedBeforeKill} before the kill, ` +
    `${ackedByVictim} by ${victim.name}); at the kill ${stats.inFlightAtKill} requests were in flight to ${victim.name}, ` +
    `${stats.inFlightElsewhereAtKill} to the others; ` +
    `${stats.resent} re-sent to a survivor, ${stats.resentFoundRecorded} of them found already recorded (200)`)

  const planned = learners.flatMap((l) => l.requests.flatMap((r) => r.eventIds))
  t.equal(acknowledged.size, planned.length, `all ${planned.length} events acknowledged in the end`)
  const survivors = deployment.running.filter((x) => x !== victim)
  const logs = await Promise.all(survivors.map((x) => auditLog(x.admin)))
  for (const [k, x] of survivors.entries()) {
    const counts = new Map<string, number>()
    for (const e of logs[k]) counts.set(e.eventId, (counts.get(e.eventId) ?? 0) + 1)
    const missing = [...acknowledged].filter(([id]) => counts.get(id) === undefined).map(([id, a]) => ({ eventId: id, ...a }))
    const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id)
    t.same(missing, [], `${x.name}: every acknowledged event is in the log (${ackedBeforeKill} of them acknowledged before the kill)`)
    t.same(twice, [], `${x.name}: no event twice`)
    const streams = new Map<string, string[]>()
    for (const e of logs[k]) streams.set(e.streamId, [...(streams.get(e.streamId) ?? []), e.eventId])
    const disordered = learners.filter((l) =>
      JSON.stringify(streams.get(`learner-${l.learnerId}`) ?? []) !== JSON.stringify(l.requests.flatMap((r) => r.eventIds))).map((l) => l.learnerId)
    t.same(disordered, [], `${x.name}: each learner's stream holds its events once, in the order sent`)
    const verified = await x.admin.get('/v1/audit/verify')
    t.equal(verified.status, 200, `${x.name}: /v1/audit/verify answers`)
    t.equal(verified.body.ok, true, `${x.name}: every hash chain verifies`, { firstBreak: verified.body.firstBreak })
  }
  t.same(logs[1].map((e) => e.eventId), logs[0].map((e) => e.eventId), 'both survivors serve the same log')
})
