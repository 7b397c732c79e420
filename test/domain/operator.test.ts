import t from 'tap'
import { decideOperator, foldOperator } from '../../src/domain'
import type { Actor } from '../../events'
import type { DecidedEvent } from '../../src/domain/types'
import { actors, command, ev, thenEvents, thenForbidden, thenRule } from './fixtures'

const when = (given: DecidedEvent[], proposed: DecidedEvent, actor: Actor = actors.admin) =>
  () => decideOperator(command.operator(proposed), foldOperator(given), { actor })

t.test('an admin registers an operator', async (t) => {
  const e = ev.operatorRegistered()
  thenEvents(t, when([], e), [e])
})

t.test('operator-exists: registered twice', async (t) => {
  thenRule(t, when([ev.operatorRegistered()], ev.operatorRegistered()), 'operator-exists')
})

t.test('only an admin registers operators', async (t) => {
  for (const actor of [actors.operator, actors.auditor, actors.viewer]) {
    thenForbidden(t, when([], ev.operatorRegistered(), actor))
  }
})

t.test('state keeps the first registration', async (t) => {
  t.equal(foldOperator([ev.operatorRegistered()]).registered?.name, 'Casa Academy')
  t.same(foldOperator([]), {})
})
