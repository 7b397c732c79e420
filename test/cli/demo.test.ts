/**
 * `serve --demo` once the service listens: into an empty ledger it writes the programme, then
 * says in one line that it is ready, where, and how long it took (all in the line's fields, with
 * the figures projected by then). A ledger already holding the demo, or something else, is left
 * as it is and the line says so; a demo left half-written is finished; a failure is logged.
 */
import { join } from 'node:path'
import t from 'tap'
import { createLedger, type Ledger } from '../../src/ledger'
import { planProgramme, runSimulation } from '../../src/tools/simulate'
import type { Commands } from '../../src/write/types'
import { personKey } from '../../src/auth/pepper'
import { runDemo, type DemoDeps } from '../../src/cli/demo'
import { browsableUrl } from '../../src/cli/serve'
import { openSqliteStore } from '../../src/store/sqlite'
import { tempDir } from './support'

const PEPPER = Buffer.from('demo-test-pepper-demo-test-pepper-demo')
const PROGRAMME = { learners: 5, seed: 2 }
const URL = 'http://127.0.0.1:3999'

async function ledgerIn(t: { teardown(fn: () => unknown): void }): Promise<Ledger> {
  let at = Date.parse('2026-11-02T09:00:00Z')
  const store = openSqliteStore(join(tempDir(t), 'ledger.db'), { now: () => new Date((at += 1000)) })
  const ledger = createLedger({ store, personKey: (id) => personKey(PEPPER, id) })
  await ledger.start()
  t.teardown(() => ledger.close())
  return ledger
}

interface Line {
  level: 'info' | 'error'
  details: { demo: Record<string, unknown> } & Record<string, unknown>
}

/** The demo's lines, and a clock that moves 250 ms at each reading. */
function deps(ledger: Ledger, programme = PROGRAMME): { deps: DemoDeps; lines: Line[] } {
  const lines: Line[] = []
  let now = 2000
  return {
    lines,
    deps: {
      ledger,
      log: {
        info: (details) => { lines.push({ level: 'info', details: details as Line['details'] }) },
        error: (details) => { lines.push({ level: 'error', details: details as Line['details'] }) },
      },
      url: URL,
      clock: () => (now += 250),
      startedAt: 0,
      programme,
    },
  }
}

t.test('an empty ledger: the programme is written and projected, then one ready line with the URL and times', async (t) => {
  const ledger = await ledgerIn(t)
  const { deps: d, lines } = deps(ledger)
  t.equal(await runDemo(d), 'written')
  const head = await ledger.store.headPosition()
  t.ok(head > 0)
  t.equal(ledger.runner.position, head, 'the figures hold every event when "ready" is said')
  t.same(lines.map((l) => l.details.demo.outcome), ['writing', 'written'])
  t.match(lines[1], { level: 'info', details: { demo: { url: URL, learners: 5, events: head, written: head, seconds: Number, secondsSinceStart: Number } } })
  const { seconds, secondsSinceStart } = lines[1].details.demo
  t.ok((secondsSinceStart as number) > (seconds as number), 'since start includes the writing')
})

t.test('the demo already written: left as it is, ready at once', async (t) => {
  const ledger = await ledgerIn(t)
  await runDemo(deps(ledger).deps)
  const head = await ledger.store.headPosition()
  const { deps: again, lines } = deps(ledger)
  t.equal(await runDemo(again), 'already-written')
  t.equal(await ledger.store.headPosition(), head, 'nothing written')
  t.match(lines, [{ level: 'info', details: { demo: { outcome: 'already-written', url: URL, events: head } } }])
})

t.test('a ledger holding something else: left as it is, and the line says so', async (t) => {
  const ledger = await ledgerIn(t)
  await runSimulation(ledger.commands, planProgramme({ learners: 3, seed: 7 }))
  const head = await ledger.store.headPosition()
  const { deps: d, lines } = deps(ledger)
  t.equal(await runDemo(d), 'left-as-is')
  t.equal(await ledger.store.headPosition(), head, 'nothing written')
  t.match(lines, [{ level: 'info', details: { demo: { outcome: 'left-as-is', url: URL, events: head } } }])
})

t.test('a demo an earlier start left half-written is finished', async (t) => {
  const whole = await ledgerIn(t)
  await runDemo(deps(whole).deps)
  const ledger = await ledgerIn(t)
  let learners = 0
  const stopping = new Proxy(ledger.commands, {
    get(target, name, receiver) {
      if (name !== 'appendLearnerEvents') return Reflect.get(target, name, receiver)
      return (...args: Parameters<Commands['appendLearnerEvents']>) => {
        if (++learners > 2) throw new Error('interrupted')
        return target.appendLearnerEvents(...args)
      }
    },
  })
  await t.rejects(runSimulation(stopping, planProgramme(PROGRAMME)), /interrupted/)
  const { deps: d, lines } = deps(ledger)
  t.equal(await runDemo(d), 'finished')
  const done = lines.at(-1)!.details.demo
  t.equal(done.outcome, 'finished')
  t.ok((done.written as number) > 0 && (done.written as number) < (done.events as number), 'only the rest was written')
  t.equal(await ledger.store.headPosition(), await whole.store.headPosition(), 'as many events as a demo in one go')
})

t.test('a simulation that fails is logged as an error; the service keeps running', async (t) => {
  const ledger = await ledgerIn(t)
  const broken = { ...ledger, commands: new Proxy(ledger.commands, { get: () => () => Promise.reject(new Error('disk full')) }) }
  const { deps: d, lines } = deps(broken)
  t.equal(await runDemo(d), 'failed')
  t.match(lines.at(-1), { level: 'error', details: { demo: { outcome: 'failed' }, err: { message: /disk full/ } } })
})

t.test('the URL a person opens: a wildcard address is reached as localhost', async (t) => {
  t.equal(browsableUrl({ address: '127.0.0.1', family: 'IPv4', port: 3000 }), 'http://127.0.0.1:3000')
  t.equal(browsableUrl({ address: '0.0.0.0', family: 'IPv4', port: 3000 }), 'http://localhost:3000')
  t.equal(browsableUrl({ address: '::', family: 'IPv6', port: 80 }), 'http://localhost:80')
  t.equal(browsableUrl({ address: '::1', family: 'IPv6', port: 3000 }), 'http://[::1]:3000')
})
