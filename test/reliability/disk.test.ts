/**
 * Disk trouble. At start, a data directory that cannot be written (a path under a regular file,
 * an immutable directory or ledger file) or a full disk stops the service with one clear line
 * and exit code 2, and leaves nothing behind that would stop the next start once the disk is
 * fixed. During service, a full disk answers writes 503 store-unavailable, writes nothing of
 * them, loses nothing acknowledged, and the service takes writes again once there is room.
 */
import t, { type Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { completed, enrolled, placement, screened, application } from '../support/scenario'
import { openSqliteStore } from '../../src/store/sqlite'
import { inspectLedgerFile } from './ledger-file'
import { chattr, emptyDisk, failedStart, fillDisk, mountTmpfs, tmpfsUnavailable } from './disk'
import { isAcknowledged, learnerLife, send, setupRequests, type PlannedRequest } from './plans'
import { LedgerHost, tempDir } from './support'

// Real processes, each started through tsx: slow on a loaded machine. A bound against hangs, not a timing test.
t.setTimeout(300_000)

function expectOneLineExit2(t: Test, result: Awaited<ReturnType<typeof failedStart>>, mentions: RegExp): void {
  t.notOk(result.listened, 'it does not start serving')
  t.equal(result.code, 2, 'exit code 2')
  const lines = result.stderr.trim().split('\n')
  t.equal(lines.length, 1, `one line: ${result.stderr.trim()}`)
  t.match(lines[0], mentions)
}

t.test('a data directory that cannot be created: one line, exit 2', async (t) => {
  const dir = tempDir(t)
  writeFileSync(join(dir, 'a-file'), '')
  expectOneLineExit2(t, await failedStart({ LEDGER_DATA_DIR: join(dir, 'a-file', 'data') }), /LEDGER_DATA_DIR .*a-file\/data.*ENOTDIR/)
})

const immutable = (() => {
  const probe = join(tempDir(t), 'probe')
  writeFileSync(probe, '')
  const failed = chattr('+i', probe)
  if (failed === undefined) chattr('-i', probe)
  return failed
})()
if (immutable !== undefined) t.comment(`skipping the immutable cases: ${immutable}`)

t.test('an immutable data directory or ledger file: one line, exit 2', { skip: immutable }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-rel-'))
  const file = join(dir, 'ledger.db')
  // One teardown, in this order: the flags must go before the files can.
  t.teardown(() => {
    chattr('-i', dir)
    if (existsSync(file)) chattr('-i', file)
    rmSync(dir, { recursive: true, force: true })
  })
  t.equal(chattr('+i', dir), undefined)
  expectOneLineExit2(t, await failedStart({ LEDGER_DATA_DIR: dir }), /LEDGER_DATA_DIR .* is not writable: EPERM/)
  chattr('-i', dir)

  // A ledger that exists, with its file made immutable: SQLite would open it read-only and
  // the service would answer every write 503; it must rather refuse to start.
  await openSqliteStore(file).close()
  t.equal(chattr('+i', file), undefined)
  expectOneLineExit2(t, await failedStart({ LEDGER_DATA_DIR: dir }), /ledger\.db.* not writable/)
})

const noTmpfs = tmpfsUnavailable()
if (noTmpfs !== undefined) t.comment(`skipping the full-disk cases: ${noTmpfs}`)

t.test('a full disk at start: one line, exit 2, and a clean start once there is room', { skip: noTmpfs }, async (t) => {
  const mounted = mountTmpfs(t, 2048)
  if ('reason' in mounted) throw new Error(mounted.reason)
  const dataDir = join(mounted.dir, 'data')

  // First start on a full disk: nothing may be left half-made (an empty keys or pepper file).
  let filler = fillDisk(mounted.dir)
  expectOneLineExit2(t, await failedStart({ LEDGER_DATA_DIR: dataDir }), /ENOSPC|full/)
  emptyDisk(filler)
  const host = new LedgerHost(dataDir)
  t.teardown(() => host.dispose())
  const starting = host.start()
  await t.resolves(starting, 'with room again, it starts and prints an admin key')
  const api = await starting
  for (const r of setupRequests()) t.equal((await send(api, r)).status, 201)
  t.equal(await host.stop('SIGTERM'), 0)

  // A ledger that exists, on a disk that filled up while the service was down.
  filler = fillDisk(mounted.dir)
  expectOneLineExit2(t, await failedStart({ LEDGER_DATA_DIR: dataDir }), /ledger\.db.* cannot be opened: SQLITE_\w+ \(.*full/)
  emptyDisk(filler)
  const again = await host.start()
  const progress = await again.get('/v1/indicators/progress')
  t.equal(progress.headers.get('x-ledger-position'), String(setupRequests().length), 'nothing was lost')
  t.equal(await host.stop('SIGTERM'), 0)
})

t.test('the disk fills up during service: 503 store-unavailable, nothing half-written, nothing lost', { skip: noTmpfs }, async (t) => {
  const mounted = mountTmpfs(t, 8192)
  if ('reason' in mounted) throw new Error(mounted.reason)
  const host = new LedgerHost(join(mounted.dir, 'data'))
  t.teardown(() => host.dispose())
  const api = await host.start()
  for (const r of setupRequests()) t.equal((await send(api, r)).status, 201)
  const acknowledged: PlannedRequest[] = []
  for (let i = 0; i < 20; i++) {
    for (const r of learnerLife(`F-${i}`, `FID-${i}`)) {
      if (isAcknowledged(r, await send(api, r))) acknowledged.push(r)
    }
  }
  t.equal(acknowledged.length, 80, 'before the disk fills, every write is recorded')

  const filler = fillDisk(mounted.dir)
  const beforeFull = acknowledged.length
  // Batches of 100 events until the store says it cannot take them: the WAL may have room
  // left in pages it already holds, so the first few may still be recorded.
  const refused: PlannedRequest[] = []
  const other: string[] = []
  for (let i = 0; i < 200 && refused.length < 3; i++) {
    const r = hundredEventBatch(`G-${i}`, `GID-${i}`)
    const answer = await send(api, r)
    if (isAcknowledged(r, answer)) acknowledged.push(r)
    else if (answer.status === 503 && answer.body.code === 'store-unavailable') refused.push(r)
    else other.push(`${answer.status} ${JSON.stringify(answer.body)}`)
  }
  t.same(other, [], 'every write was recorded (201) or refused with 503 store-unavailable: nothing else')
  t.equal(refused.length, 3, 'the full disk was met: writes answered 503 store-unavailable')
  const ready = await api.get('/health/ready')
  t.equal(ready.status, 200, 'reads and readiness keep working on a full disk', { body: ready.body })

  emptyDisk(filler)
  for (const r of refused) t.equal((await send(api, r)).status, 201, 'with room again, the refused write is re-sent and recorded, without a restart')
  t.equal(await host.stop('SIGKILL'), 'SIGKILL')

  const report = inspectLedgerFile(host.file)
  t.equal(report.integrity, 'ok')
  t.same(report.problems, [])
  t.ok(report.verify.ok, 'every hash chain verifies')
  const missing = [...acknowledged, ...refused].flatMap((r) => r.eventIds).filter((id) => !report.byEventId.has(id))
  t.same(missing, [], 'every acknowledged event is on file')
  t.equal(report.events, setupRequests().length + [...acknowledged, ...refused].reduce((n, r) => n + r.eventIds.length, 0),
    'and nothing else: no part of a refused batch was written before its re-send')
  t.comment(`full disk: ${beforeFull} writes acknowledged before the disk filled, ${acknowledged.length - beforeFull} batches of 100 ` +
    `after it (room left in the WAL), then ${refused.length} refused with 503 and recorded on re-send`)
})

/** A learner's life in one batch of 100 events (about 60 KB of rows). */
function hundredEventBatch(learnerId: string, nationalId: string): PlannedRequest {
  const events: Array<{ type: string; data: object }> = [application(nationalId), screened(), enrolled(), completed()]
  for (let i = 0; events.length < 100; i++) events.push(placement(`P-${i}`))
  const sent = events.map((e) => ({ ...e, eventId: randomUUID() }))
  return { method: 'POST', path: `/v1/learners/${learnerId}/events`, body: { events: sent }, eventIds: sent.map((e) => e.eventId) }
}
