import t from 'tap'
import { decideProgramme, foldProgramme } from '../../src/domain'
import type { Actor } from '../../events'
import type { DecidedEvent } from '../../src/domain/types'
import { actors, command, ev, thenEvents, thenForbidden, thenRule } from './fixtures'

const when = (given: DecidedEvent[], proposed: DecidedEvent, actor: Actor = actors.admin) =>
  () => decideProgramme(command.programme(proposed), foldProgramme(given), { actor })

t.test('target', async (t) => {
  t.test('an admin sets it, and may set it again', async (t) => {
    const e = ev.targetSet()
    thenEvents(t, when([], e), [e])
    thenEvents(t, when([ev.targetSet()], e), [e])
  })
  t.test('nobody else may', async (t) => {
    for (const actor of [actors.operator, actors.auditor, actors.viewer]) thenForbidden(t, when([], ev.targetSet(), actor))
  })
})

t.test('reports', async (t) => {
  t.test('an admin or an auditor publishes one', async (t) => {
    const e = ev.reportPublished()
    thenEvents(t, when([], e), [e])
    thenEvents(t, when([], e, actors.auditor), [e])
  })
  t.test('report-exists: a reportId is never reused', async (t) => {
    thenRule(t, when([ev.targetSet(), ev.reportPublished('R1')], ev.reportPublished('R1'), actors.auditor), 'report-exists')
  })
  t.test('another reportId is fine', async (t) => {
    const e = ev.reportPublished('R2')
    thenEvents(t, when([ev.reportPublished('R1')], e), [e])
  })
  t.test('operators and viewers may not publish', async (t) => {
    for (const actor of [actors.operator, actors.viewer]) thenForbidden(t, when([], ev.reportPublished(), actor))
  })
})

t.test('state keeps the latest target and every reportId', async (t) => {
  const s = foldProgramme([ev.targetSet(), ev.reportPublished('R1'), ev.reportPublished('R2')])
  t.equal(s.target?.learnersTarget, 15000)
  t.same([...s.reportIds], ['R1', 'R2'])
})
