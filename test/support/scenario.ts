import type { Harness, KeyName } from './harness'

/** Data builders for HTTP tests: valid payloads a test then bends. */
export const operator = (operatorId = 'OP-1') => ({ operatorId, name: `Operator ${operatorId}` })

export const cohort = (cohortId = 'C-1', operatorId = 'OP-1', extra: Record<string, unknown> = {}) => ({
  cohortId, operatorId, track: 'full-stack', region: 'MA-06', city: 'Casablanca',
  startDate: '2025-01-06', endDate: '2025-05-02', capacity: 2, format: 'onsite', ...extra,
})

export const application = (nationalId: string, operatorId = 'OP-1', extra: Record<string, unknown> = {}) => ({
  type: 'ApplicationSubmitted',
  data: {
    operatorId, nationalId, gender: 'female', birthYear: 2001, region: 'MA-06',
    educationLevel: 'bac+2', background: 'stem', submittedOn: '2024-12-01', ...extra,
  },
})

export const screened = (decision = 'accepted', screenedOn = '2024-12-15') => ({ type: 'ApplicationScreened', data: { decision, screenedOn } })
export const enrolled = (cohortId = 'C-1', enrolledOn = '2025-01-06') => ({ type: 'LearnerEnrolled', data: { cohortId, enrolledOn } })
export const completed = (cohortId = 'C-1', completedOn = '2025-05-02') => ({ type: 'TrainingCompleted', data: { cohortId, completedOn, certified: true, finalScore: 81 } })
export const withdrew = (cohortId = 'C-1', withdrewOn = '2025-02-01') => ({ type: 'LearnerWithdrew', data: { cohortId, withdrewOn, reason: 'personal' } })
export const placement = (placementId = 'P-1', startDate = '2025-06-02', contractType = 'cdi') => ({
  type: 'PlacementRecorded',
  data: {
    placementId, employer: { name: 'Atlas Digital' }, sector: 'IT services', jobTitle: 'Developer',
    contractType, startDate, monthlySalaryMad: 9000, region: 'MA-06',
    evidence: { kind: 'contract', sha256: 'a'.repeat(64) },
  },
})

/** Registers OP-1 and OP-2 and opens cohort C-1 (OP-1) and C-2 (OP-2), through the API. */
export async function setUp(h: Harness): Promise<void> {
  for (const id of ['OP-1', 'OP-2']) await expectStatus(h, 'admin', 'POST', '/v1/operators', operator(id), 201)
  await expectStatus(h, 'op1', 'POST', '/v1/cohorts', cohort('C-1', 'OP-1'), 201)
  await expectStatus(h, 'op2', 'POST', '/v1/cohorts', cohort('C-2', 'OP-2'), 201)
}

export async function expectStatus(h: Harness, as: KeyName | null, method: 'POST' | 'PUT' | 'GET', url: string, payload: unknown, status: number) {
  const res = await h.call(as, { method, url, payload: payload as object })
  if (res.statusCode !== status) throw new Error(`${method} ${url} answered ${res.statusCode}, not ${status}: ${res.body}`)
  return res.json()
}
