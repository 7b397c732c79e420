/**
 * One cohort's intake: applications a few weeks before the start, screening, enrolment up to
 * the seats there are, then the waiting list. A seat freed by a withdrawal is never handed on,
 * so a cohort never holds more enrolments than its capacity, whatever order they are written in.
 */
import { REGIONS, type CohortOpened } from '../../../events'
import { addDays, yearOf } from './calendar'
import { REGION_PROFILES } from './catalogue'
import type { Rng } from './random'
import type { LearnerInput } from './types'

export interface Admitted {
  learnerId: string
  application: LearnerInput<'ApplicationSubmitted'>
  screenings: Array<LearnerInput<'ApplicationScreened'>>
  enrolledOn?: string
}

/** Hands out learnerIds in plan order and a distinct fictional national id to each person. */
export class People {
  private count = 0
  private readonly width: number
  private readonly multiplier: number
  private readonly offset: number
  private static readonly PREFIXES = [
    'A', 'AB', 'AD', 'AE', 'B', 'BB', 'BE', 'BH', 'BJ', 'BK', 'BL', 'BM', 'C', 'CB', 'CD', 'D', 'DA',
    'E', 'EE', 'F', 'FA', 'G', 'GA', 'GM', 'H', 'HA', 'I', 'IA', 'J', 'JA', 'JB', 'JC', 'JE', 'JH',
    'JK', 'JT', 'K', 'KB', 'L', 'LA', 'LC', 'M', 'MC', 'N', 'P', 'PA', 'PB', 'Q', 'R', 'S', 'SH',
    'SJ', 'T', 'TA', 'TK', 'U', 'UA', 'V', 'W', 'WA', 'X', 'Y', 'Z', 'ZG', 'ZT',
  ]
  private static readonly SPACE = People.PREFIXES.length * 1_000_000

  constructor(rng: Rng, learners: number) {
    this.width = Math.max(6, String(learners).length)
    // An affine map i -> (a*i + b) mod SPACE with gcd(a, SPACE) = 1 is a bijection: ids look
    // scattered, yet no two learners share one (each learner is a distinct person).
    let a = rng.int(1_000_003, People.SPACE - 1)
    while (gcd(a, People.SPACE) !== 1) a++
    this.multiplier = a
    this.offset = rng.int(0, People.SPACE - 1)
  }

  next(): { learnerId: string; nationalId: string } {
    const i = this.count++
    const j = (this.multiplier * i + this.offset) % People.SPACE
    const nationalId = `${People.PREFIXES[Math.floor(j / 1_000_000)]}${String(j % 1_000_000).padStart(6, '0')}`
    return { learnerId: `L-${String(i + 1).padStart(this.width, '0')}`, nationalId }
  }
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b]
  return a
}

const REJECTION_REASONS = [
  'Did not pass the aptitude test',
  'Did not attend the selection interview',
  'Incomplete application file',
  'Profile does not match the track prerequisites',
]
const EDUCATION = [['below-bac', 4], ['bac', 14], ['bac+2', 28], ['bac+3', 30], ['bac+5', 22], ['doctorate', 2]] as const
type Education = (typeof EDUCATION)[number][0]
const EDUCATION_MIN_AGE: Record<Education, number> = { 'below-bac': 0, bac: 0, 'bac+2': 20, 'bac+3': 21, 'bac+5': 23, doctorate: 27 }
const REGION_WEIGHTS = REGIONS.map((r) => [r, REGION_PROFILES[r].weight] as const)

export function admitCohort(rng: Rng, cohort: CohortOpened, count: number, people: People): Admitted[] {
  const drafts = Array.from({ length: count }, (_, draw) => ({ draw, submittedOn: addDays(cohort.startDate, -rng.int(21, 60)) }))
  drafts.sort((a, b) => a.submittedOn.localeCompare(b.submittedOn) || a.draw - b.draw)
  let seats = cohort.capacity
  const admitted: Admitted[] = drafts.map(({ submittedOn }) => {
    const { learnerId, nationalId } = people.next()
    const application = applicationOf(rng, cohort, nationalId, submittedOn)
    const screenedOn = addDays(submittedOn, rng.int(3, 12))
    const decision = rng.weighted([['accepted', 70], ['rejected', 17], ['waitlisted', 13]] as const)
    const screened = (d: 'accepted' | 'rejected' | 'waitlisted', reason?: string) => ({ decision: d, screenedOn, ...(reason ? { reason } : {}) })
    if (decision === 'rejected') return { learnerId, application, screenings: [screened('rejected', rng.pick(REJECTION_REASONS))] }
    if (decision === 'waitlisted') return { learnerId, application, screenings: [screened('waitlisted', 'Passed the selection; waiting for a seat')] }
    if (seats === 0) return { learnerId, application, screenings: [screened('waitlisted', 'Selected, but the cohort is full')] }
    const reason = rng.chance(0.5) ? 'Passed the aptitude test and the interview' : undefined
    // A few accepted applicants never show up: their seat stays empty.
    if (rng.chance(0.03)) return { learnerId, application, screenings: [screened('accepted', reason)] }
    seats--
    const enrolledOn = rng.chance(0.85) ? cohort.startDate : addDays(cohort.startDate, rng.int(1, 7))
    return { learnerId, application, screenings: [screened('accepted', reason)], enrolledOn }
  })
  for (const a of admitted) {
    if (a.screenings[0].decision !== 'waitlisted') continue
    const screenedOn = addDays(cohort.startDate, rng.int(0, 6))
    if (seats > 0 && rng.chance(0.8)) {
      seats--
      a.screenings.push({ decision: 'accepted', reason: 'A seat became free', screenedOn })
      a.enrolledOn = addDays(screenedOn, rng.int(0, 3))
    } else if (rng.chance(0.35)) {
      a.screenings.push({ decision: 'rejected', reason: 'No seat left in this intake', screenedOn })
    }
  }
  return admitted
}

function applicationOf(rng: Rng, cohort: CohortOpened, nationalId: string, submittedOn: string): LearnerInput<'ApplicationSubmitted'> {
  const [lo, hi] = rng.weighted([[[18, 24], 55], [[25, 29], 32], [[30, 35], 10], [[36, 42], 3]] as const)
  const age = rng.int(lo, hi)
  let education = rng.weighted(EDUCATION)
  // No bac+5 at 20: a degree the applicant is too young for becomes the one below it.
  while (age < EDUCATION_MIN_AGE[education]) education = EDUCATION[EDUCATION.findIndex(([level]) => level === education) - 1][0]
  // Remote cohorts recruit nationwide; the others mostly from their own region.
  const local = rng.chance(cohort.format === 'remote' ? 0.5 : 0.9)
  return {
    operatorId: cohort.operatorId,
    nationalId,
    gender: rng.weighted([['female', 44], ['male', 53], ['undisclosed', 3]] as const),
    birthYear: yearOf(submittedOn) - age,
    region: local ? cohort.region : rng.weighted(REGION_WEIGHTS),
    educationLevel: education,
    background: rng.weighted([['stem', 52], ['economics-management', 24], ['humanities-law', 14], ['other', 10]] as const),
    submittedOn,
  }
}
