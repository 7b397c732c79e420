import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { printedAdminKey, runCli, startService } from '../support/process'

t.test('bad configuration stops start-up with one clear line and exit code 2', async (t) => {
  const child = runCli(['serve'], { PORT: 'not-a-port' })
  let stderr = ''
  child.stderr!.on('data', (d) => { stderr += d })
  const [code] = await once(child, 'exit')
  t.equal(code, 2)
  t.equal(stderr.trim().split('\n').length, 1)
  t.match(stderr, /PORT/)
})

t.test('a real process: first start prints an admin key once, serves, closes on SIGTERM, keeps its data', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-e2e-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const env = { LEDGER_DATA_DIR: dir }

  const first = await startService(env)
  const key = printedAdminKey(first.output())
  t.ok(key, 'the admin key is printed on first start')
  const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' }
  const created = await fetch(`${first.url}/v1/operators`, { method: 'POST', headers: auth, body: JSON.stringify({ operatorId: 'OP-1', name: 'One' }) })
  t.equal(created.status, 201)
  const ready = await fetch(`${first.url}/health/ready`)
  t.equal(ready.status, 200)
  t.equal(first.output().split(key!).length - 1, 1, 'the key appears once: printed, never logged')
  first.child.kill('SIGTERM')
  t.equal(await first.exited, 0, 'SIGTERM closes cleanly with exit code 0')

  const second = await startService(env)
  t.notOk(printedAdminKey(second.output()), 'no new admin key on later starts')
  const progress = await fetch(`${second.url}/v1/indicators/progress`, { headers: auth })
  t.equal(progress.status, 200)
  t.equal(progress.headers.get('x-ledger-position'), '1', 'the event written before the restart is there')
  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0)
})
