/**
 * `placement-ledger verify` and `replay` as a real process: one JSON line on stdout, nothing on
 * stderr when it is not a terminal, exit 0 / 1 (verification failed) / 2 (bad arguments).
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import t from 'tap'
import { replay, verifyStore } from '../../src/read/audit'
import { openSqliteStore } from '../../src/store/sqlite'
import { clockEnv } from '../support/process'
import { copyLedger, tamper, tempDir, writeLedgerFile } from './fixture'

const ROOT = join(__dirname, '..', '..')

function cli(args: string[], dataDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LEDGER_DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...clockEnv() },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => { stdout += d })
  child.stderr.on('data', (d) => { stderr += d })
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
}

t.test('verify: exit 0 on an intact ledger, 1 on a tampered copy, with the same JSON as the API', async (t) => {
  const dir = tempDir(t)
  const log = await writeLedgerFile(dir)
  const intact = copyLedger(t, dir)
  const ok = await cli(['verify'], intact)
  t.equal(ok.code, 0, ok.stderr)
  t.equal(ok.stderr, '', 'no progress when stderr is not a terminal')
  const okResult = JSON.parse(ok.stdout)
  const store = openSqliteStore(join(intact, 'ledger.db'))
  t.teardown(() => store.close())
  t.same(okResult, await verifyStore(store))
  t.equal(ok.stdout.trim().split('\n').length, 1, 'one line')

  const tampered = copyLedger(t, dir)
  const target = log.find((e) => e.type === 'TrainingCompleted')!
  tamper(tampered, (db) => db.prepare(`UPDATE events SET data = json_set(data, '$.certified', json('false')) WHERE event_id = ?`).run(target.eventId))
  const broken = await cli(['verify'], tampered)
  t.equal(broken.code, 1)
  t.match(JSON.parse(broken.stdout), { ok: false, firstBreak: { eventId: target.eventId, streamId: target.streamId, reason: 'hash' } })

  const bad = await cli(['verify', '--fast'], intact)
  t.equal(bad.code, 2)
  t.match(bad.stderr, /usage: placement-ledger verify/)
  t.equal(bad.stdout, '')
})

t.test('replay: the digest and figures of an in-process replay; a past knownAt; bad arguments exit 2', async (t) => {
  const dir = tempDir(t)
  const log = await writeLedgerFile(dir)
  const copy = copyLedger(t, dir)
  const store = openSqliteStore(join(copy, 'ledger.db'))
  t.teardown(() => store.close())

  const knownAt = log[9].metadata.recordedAt
  const run = await cli(['replay', '--known-at', knownAt, '--as-of', '2026-01-15'], copy)
  t.equal(run.code, 0, run.stderr)
  t.equal(run.stderr, '')
  const result = JSON.parse(run.stdout)
  t.same(result, await replay(store, { knownAt, asOf: '2026-01-15' }))
  // A batch shares one recordedAt: the replay takes the whole batch that holds log[9].
  const seen = log.filter((e) => e.metadata.recordedAt <= knownAt)
  t.ok(seen.length < log.length)
  t.match(result, { knownAt, asOf: '2026-01-15', position: seen.at(-1)!.position, events: seen.length })

  const now = JSON.parse((await cli(['replay', '--as-of', '2026-01-15'], copy)).stdout)
  t.equal(now.position, log.at(-1)!.position)
  t.not(now.digest, result.digest)
  t.equal(now.indicators['insertion-180d-v1'].programme[0].placedVerified, 1)

  for (const args of [['--known-at', 'yesterday'], ['--as-of', '2026-02-30'], ['extra']]) {
    const bad = await cli(['replay', ...args], copy)
    t.equal(bad.code, 2, args.join(' '))
    t.match(bad.stderr, /^replay: /)
  }
})
