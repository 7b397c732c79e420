import t from 'tap'
import { runEraseCommand } from '../../src/cli/erase'
import * as s from '../support/scenario'
import { privacyHarness, serviceLedger } from './harness'

t.test('placement-ledger erase LEARNER_ID: the same erasure, as the CLI admin', async (t) => {
  const h = await privacyHarness(t)
  await s.setUp(h as never)
  await s.expectStatus(h as never, 'op1', 'POST', '/v1/learners/L-1/events', s.application('CLI-1'), 201)
  const lines: string[] = []
  const errors: string[] = []
  const deps = {
    openLedger: async () => { const l = serviceLedger(h.dataDir); await l.start(); return l },
    out: { isTTY: false, write: (text: string) => { lines.push(text) } },
    err: (text: string) => { errors.push(text) },
  }
  t.equal(await runEraseCommand(['L-1', '--reason', 'retention-period-ended'], deps), 0)
  t.match(JSON.parse(lines[0]), { learnerId: 'L-1', reason: 'retention-period-ended', duplicate: false })
  t.equal(await runEraseCommand(['L-1'], deps), 0, 'again: already erased')
  t.match(JSON.parse(lines[1]), { duplicate: true, eventId: JSON.parse(lines[0]).eventId })
  const stream = await h.ledger.store.readStream('learner-L-1')
  t.match(stream.at(-1), { type: 'PersonalDataErased', metadata: { actor: { keyId: 'cli', role: 'admin' } } })
  t.equal(await runEraseCommand(['L-NONE'], deps), 1)
  t.match(errors.at(-1), /not-found/)
  t.equal(await runEraseCommand([], deps), 2)
  t.equal(await runEraseCommand(['L-1', '--reason', 'because'], deps), 2)
})
