import t from 'tap'
import { learnerOperatorId, learnerView, personHasActiveRecord } from '../../projections/learners'
import { listReports, progress, report } from '../../projections/programme'
import { History } from './fixtures'

const PERSON = 'f'.repeat(64)

t.test('learnerView: status, cohort, placements with their end and latest verification, follow-ups', async (t) => {
  const h = new History()
  h.operator('op1')
  h.cohort('c1')
  h.apply('L1', { birthYear: 1999 })
  h.learner('L1', 'ApplicationScreened', { decision: 'waitlisted', reason: 'full', screenedOn: '2024-12-10' })
  t.equal(learnerView(h.state(), 'L1')?.status, 'waitlisted')
  h.screen('L1', 'accepted', '2024-12-20')
  t.equal(learnerView(h.state(), 'L1')?.status, 'accepted')
  h.enrol('L1', 'c1')
  t.equal(learnerView(h.state(), 'L1')?.status, 'enrolled')
  h.place('L1', 'p1', '2025-03-01', 'cdd')
  const wrong = h.place('L1', 'p2', '2025-03-02')
  h.learner('L1', 'PlacementEnded', { placementId: 'p1', endDate: '2025-04-30', reason: 'contract-ended' })
  h.verify('L1', 'p1', 'not-confirmed', '2025-05-01')
  h.verify('L1', 'p1', 'confirmed', '2025-05-10')
  h.learner('L1', 'TrainingCompleted', { cohortId: 'c1', completedOn: '2025-05-30', certified: true, finalScore: 88 })
  h.followUp('L1', 3, 'employed', '2025-08-30')
  h.retract('L1', wrong)
  const state = h.state()

  t.same(learnerView(state, 'L1'), {
    learnerId: 'L1',
    operatorId: 'op1',
    status: 'completed',
    application: { gender: 'female', birthYear: 1999, region: 'MA-06', educationLevel: 'bac+2', background: 'stem', submittedOn: '2024-12-01' },
    screening: { decision: 'accepted', screenedOn: '2024-12-20' },
    cohortId: 'c1',
    enrolledOn: '2025-01-06',
    completion: { cohortId: 'c1', completedOn: '2025-05-30', certified: true, finalScore: 88 },
    placements: [{
      placementId: 'p1', employer: { name: 'Acme' }, sector: 'IT', jobTitle: 'Developer', contractType: 'cdd',
      startDate: '2025-03-01', region: 'MA-06',
      ended: { endDate: '2025-04-30', reason: 'contract-ended' },
      verification: { method: 'cnss-match', outcome: 'confirmed', verifiedOn: '2025-05-10' },
    }],
    followUps: [{ monthsAfterCompletion: 3, status: 'employed', surveyedOn: '2025-08-30' }],
    retractedEventIds: [wrong.eventId],
    streamRevision: 11,
  })
  t.notOk(JSON.stringify(learnerView(state, 'L1')).includes('personKey'), 'never the personKey')
  t.equal(learnerView(state, 'nobody'), undefined)
  t.equal(learnerOperatorId(state, 'L1'), 'op1')
  t.equal(learnerOperatorId(state, 'nobody'), undefined)
})

t.test('a withdrawn learner shows its withdrawal', async (t) => {
  const h = new History()
  h.cohort('c1')
  h.apply('L1'); h.screen('L1', 'accepted'); h.enrol('L1', 'c1')
  h.learner('L1', 'LearnerWithdrew', { cohortId: 'c1', withdrewOn: '2025-02-01', reason: 'found-job' })
  t.match(learnerView(h.state(), 'L1'), { status: 'withdrawn', withdrawal: { cohortId: 'c1', withdrewOn: '2025-02-01', reason: 'found-job' } })
})

t.test('personHasActiveRecord: applied, waitlisted, accepted, enrolled and completed block; rejected and withdrawn do not', async (t) => {
  const cases: Array<[string, (h: History) => void, boolean]> = [
    ['applied', () => {}, true],
    ['waitlisted', (h) => h.screen('old', 'waitlisted'), true],
    ['accepted', (h) => h.screen('old', 'accepted'), true],
    ['rejected', (h) => h.screen('old', 'rejected'), false],
    ['enrolled', (h) => { h.screen('old', 'accepted'); h.enrol('old', 'c1') }, true],
    ['withdrawn', (h) => { h.screen('old', 'accepted'); h.enrol('old', 'c1'); h.withdraw('old', 'c1', '2025-02-01') }, false],
    ['completed', (h) => { h.screen('old', 'accepted'); h.enrol('old', 'c1'); h.complete('old', 'c1') }, true],
    ['withdrawal retracted', (h) => {
      h.screen('old', 'accepted'); h.enrol('old', 'c1'); h.retract('old', h.withdraw('old', 'c1', '2025-02-01'))
    }, true],
  ]
  for (const [name, then, active] of cases) {
    const h = new History()
    h.cohort('c1')
    h.apply('old', { personKey: PERSON })
    then(h)
    const state = h.state()
    t.equal(personHasActiveRecord(state, PERSON, 'new'), active, name)
    t.equal(personHasActiveRecord(state, PERSON, 'old'), false, `${name}: the record itself does not count`)
  }
  t.equal(personHasActiveRecord(new History().state(), PERSON, 'new'), false, 'unknown person')
})

t.test('progress counts learners ever enrolled, not retracted', async (t) => {
  const h = new History()
  h.cohort('c1')
  t.same(progress(h.state()), { learnersTarget: null, deadline: null, enrolled: 0, share: null })
  h.add('programme', 'ProgrammeTargetSet', { learnersTarget: 100, deadline: '2026-12-31' })
  h.add('programme', 'ProgrammeTargetSet', { learnersTarget: 8, deadline: '2026-12-31' })
  for (const id of ['A', 'B', 'C', 'D']) { h.apply(id); h.screen(id, 'accepted') }
  h.enrol('A', 'c1'); h.enrol('B', 'c1'); h.withdraw('B', 'c1', '2025-02-01')
  h.enrol('C', 'c1'); h.complete('C', 'c1')
  h.retract('D', h.enrol('D', 'c1'))
  t.same(progress(h.state()), { learnersTarget: 8, deadline: '2026-12-31', enrolled: 3, share: 3 / 8 })
})

t.test('reports are kept as published', async (t) => {
  const h = new History()
  const data = {
    reportId: 'r1', definition: 'insertion-180d-v1', groupBy: 'region', asOf: '2025-06-30',
    knownAt: '2025-07-15T10:00:00.000Z', position: 42, digest: 'b'.repeat(64),
  }
  const e = h.add('programme', 'ReportPublished', data)
  const state = h.state()
  t.same(report(state, 'r1'), { ...data, eventId: e.eventId, recordedAt: e.metadata.recordedAt })
  t.equal(report(state, 'r2'), undefined)
  t.same(listReports(state).map((r) => r.reportId), ['r1'])
})
