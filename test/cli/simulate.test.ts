/**
 * simulate on a ledger that is not empty: another programme is refused plainly (its fixed ids
 * would collide) and nothing is written; the same programme again writes nothing new, and
 * finishes a run that was interrupted, to the events and figures a run in one go writes.
 */
import { join } from 'node:path'
import t from 'tap'
import { runSimulation, planProgramme } from '../../src/tools/simulate'
import type { Commands } from '../../src/write/types'
import { openLedger } from '../../src/cli/context'
import { loadConfig } from '../../src/config'
import { cli, listing, tempDir } from './support'

const TIMES = ['--known-at', '2999-01-01T00:00:00Z', '--as-of', '2026-10-31']

t.test('another programme on a non-empty ledger is refused, saying why; nothing is written', async (t) => {
  const dataDir = join(tempDir(t), 'data')
  const env = { LEDGER_DATA_DIR: dataDir }
  const first = await cli(['simulate', '--learners', '5', '--seed', '2'], env)
  t.equal(first.code, 0, first.stderr)
  const events = JSON.parse(first.stdout).events
  const before = listing(dataDir)
  for (const args of [['--learners', '5', '--seed', '3'], ['--learners', '6', '--seed', '2']]) {
    const again = await cli(['simulate', ...args], env)
    t.equal(again.code, 2, args.join(' '))
    t.equal(again.stdout, '')
    t.match(again.stderr, new RegExp(`^simulate: the ledger already holds ${events} events that are not this programme`))
    t.match(again.stderr, /empty/, 'and what to do instead')
  }
  t.same(listing(dataDir), before, 'the ledger is as it was')
})

t.test('the same programme again writes nothing new', async (t) => {
  const env = { LEDGER_DATA_DIR: join(tempDir(t), 'data') }
  const first = JSON.parse((await cli(['simulate', '--learners', '5', '--seed', '2'], env)).stdout)
  const again = await cli(['simulate', '--learners', '5', '--seed', '2'], env)
  t.equal(again.code, 0, again.stderr)
  t.same(JSON.parse(again.stdout), { ...first, alreadyRecorded: first.events })
})

t.test('an interrupted run is finished by running it again, to the ledger a run in one go writes', async (t) => {
  const root = tempDir(t)
  // One pepper for both, so both ledgers key national ids alike.
  const pepper = { LEDGER_PEPPER: 'simulate-test-pepper-simulate-test-pepper' }
  const whole = { LEDGER_DATA_DIR: join(root, 'whole'), ...pepper }
  t.equal((await cli(['simulate', '--learners', '5', '--seed', '2'], whole)).code, 0)

  const halted = { LEDGER_DATA_DIR: join(root, 'halted'), ...pepper }
  const ledger = await openLedger(loadConfig(halted))
  let learners = 0
  // Stops after two learners, as Ctrl-C would.
  const stopping = new Proxy(ledger.commands, {
    get(target, name, receiver) {
      if (name !== 'appendLearnerEvents') return Reflect.get(target, name, receiver)
      return (...args: Parameters<Commands['appendLearnerEvents']>) => {
        if (++learners > 2) throw new Error('interrupted')
        return target.appendLearnerEvents(...args)
      }
    },
  })
  await t.rejects(runSimulation(stopping, planProgramme({ learners: 5, seed: 2 })), /interrupted/)
  await ledger.close()

  const finished = await cli(['simulate', '--learners', '5', '--seed', '2'], halted)
  t.equal(finished.code, 0, finished.stderr)
  const summary = JSON.parse(finished.stdout)
  t.ok(summary.alreadyRecorded > 0 && summary.alreadyRecorded < summary.events, 'part was there, the rest written')
  // recordedAt differs between the two runs, so the digests do; the events and figures may not.
  const eventIds = async (env: Record<string, string>) =>
    (await cli(['export'], env)).stdout.trimEnd().split('\n').map((line) => JSON.parse(line).eventId).sort()
  const figures = async (env: Record<string, string>) => JSON.parse((await cli(['replay', ...TIMES], env)).stdout).indicators
  t.same(await eventIds(halted), await eventIds(whole), 'the same events')
  t.same(await figures(halted), await figures(whole), 'the same figures')
})
