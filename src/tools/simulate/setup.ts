/**
 * The programme's frame, drawn before any learner: operators, the target, the employers that
 * will hire, and enough cohorts to take every applicant.
 */
import { PROGRAMME_TRACKS, REGIONS, type Actor, type CohortOpened, type Region } from '../../../events'
import { addDays } from './calendar'
import { LEGAL_FORMS, NAME_STEMS, OPERATORS, REGION_PROFILES, SECTORS, TRACK_PROFILES } from './catalogue'
import type { Rng } from './random'
import type { SetupStep } from './types'

export const ADMIN: Actor = { keyId: 'sim-admin', role: 'admin' }
export const AUDITOR: Actor = { keyId: 'sim-auditor', role: 'auditor' }
export const operatorActor = (operatorId: string): Actor => ({ keyId: `sim-${operatorId}`, role: 'operator', operatorId })

export const PROGRAMME_TARGET = { learnersTarget: 15_000, deadline: '2026-12-31' }
/** Cohorts start on Mondays from the first to the last of these. */
const FIRST_START = '2024-01-08'
const LAST_START_WEEK = 129 // 2026-06-29

export interface CohortSlot {
  input: CohortOpened
  /** How many of the plan's learners apply to it. */
  applicants: number
}

export interface Employer {
  name: string
  legalId?: string
  sector: string
  region: Region
}

/** Picks among many weighted items in O(log n): employers are drawn once per placement. */
export class WeightedTable<T> {
  private readonly cumulative: number[] = []
  constructor(readonly items: readonly T[], weightOf: (item: T, index: number) => number) {
    let sum = 0
    items.forEach((item, i) => this.cumulative.push((sum += weightOf(item, i))))
  }
  draw(rng: Rng): T {
    const r = rng.next() * this.cumulative[this.cumulative.length - 1]
    let lo = 0
    let hi = this.cumulative.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.cumulative[mid] > r) hi = mid
      else lo = mid + 1
    }
    return this.items[lo]
  }
}

export interface World {
  setup: SetupStep[]
  cohorts: CohortSlot[]
  employers: WeightedTable<Employer>
  employersByRegion: ReadonlyMap<Region, WeightedTable<Employer>>
}

const REGION_WEIGHTS = REGIONS.map((r) => [r, REGION_PROFILES[r].weight] as const)

export function planWorld(rng: Rng, learners: number): World {
  const setup: SetupStep[] = []
  for (const op of OPERATORS) {
    const input = { operatorId: op.operatorId, name: op.name, legalId: iceNumber(rng) }
    setup.push({ command: 'registerOperator', actor: ADMIN, input, eventId: rng.uuid() })
  }
  setup.push({ command: 'setProgrammeTarget', actor: ADMIN, input: { ...PROGRAMME_TARGET }, eventId: rng.uuid() })
  const cohorts = planCohorts(rng, learners)
  for (const c of cohorts) setup.push({ command: 'openCohort', actor: ADMIN, input: c.input, eventId: rng.uuid() })
  const pool = planEmployers(rng, Math.min(1500, Math.max(40, Math.round(learners / 15))))
  // A few large recruiters hire many; most employers hire a handful (a Zipf-like spread).
  const zipf = (_: Employer, i: number) => 1 / (i + 1) ** 0.8
  const employersByRegion = new Map<Region, WeightedTable<Employer>>()
  for (const region of REGIONS) {
    const local = pool.filter((e) => e.region === region)
    if (local.length > 0) employersByRegion.set(region, new WeightedTable(local, zipf))
  }
  return { setup, cohorts, employers: new WeightedTable(pool, zipf), employersByRegion }
}

function planCohorts(rng: Rng, learners: number): CohortSlot[] {
  const drafts: Array<{ slot: CohortSlot; draw: number }> = []
  let applicants = 0
  while (applicants < learners) {
    const region = rng.weighted(REGION_WEIGHTS)
    const operators = OPERATORS.filter((op) => op.regions.includes(region))
    const operatorId = rng.weighted(operators.map((op) => [op.operatorId, op.weight] as const))
    const track = rng.weighted(PROGRAMME_TRACKS.map((t) => [t, TRACK_PROFILES[t].weight] as const))
    // The programme grows: more cohorts start later than earlier (a ramp plus a flat base).
    const u = rng.next()
    const week = Math.floor((rng.chance(0.3) ? u : Math.sqrt(u)) * (LAST_START_WEEK + 1))
    const startDate = addDays(FIRST_START, 7 * week)
    const weeks = TRACK_PROFILES[track].weeks + rng.int(0, 2)
    const capacity = rng.int(20, 40)
    // Cohorts draw a few more applicants than seats: screening rejects some and waitlists others.
    const wanted = Math.round(capacity * (1 + 0.3 * rng.next()))
    const count = Math.min(wanted, learners - applicants)
    applicants += count
    const input: CohortOpened = {
      cohortId: '',
      operatorId,
      track,
      region,
      city: rng.weighted(REGION_PROFILES[region].cities),
      startDate,
      endDate: addDays(startDate, 7 * weeks - 3), // a Friday, the job-fair day
      capacity,
      format: rng.weighted([['onsite', 65], ['hybrid', 25], ['remote', 10]] as const),
    }
    drafts.push({ slot: { input, applicants: count }, draw: drafts.length })
  }
  drafts.sort((a, b) => a.slot.input.startDate.localeCompare(b.slot.input.startDate) || a.draw - b.draw)
  const width = Math.max(4, String(drafts.length).length)
  return drafts.map(({ slot }, i) => ({ ...slot, input: { ...slot.input, cohortId: `C-${String(i + 1).padStart(width, '0')}` } }))
}

function planEmployers(rng: Rng, size: number): Employer[] {
  // Employers cluster where the jobs are: Casablanca and Rabat weigh more than their cohort share.
  const weights = REGION_WEIGHTS.map(([r, w]) => [r, r === 'MA-06' ? w * 1.8 : r === 'MA-04' ? w * 1.3 : w] as const)
  const names = new Set<string>()
  const employers: Employer[] = []
  for (let attempt = 0; employers.length < size && attempt < size * 20; attempt++) {
    const [sector, , words] = rng.weighted(SECTORS.map((s) => [s, s[1]] as const))
    const region = rng.weighted(weights)
    const stem = rng.pick(NAME_STEMS)
    const word = rng.pick(words)
    const place = rng.chance(0.25) ? ` ${rng.weighted(REGION_PROFILES[region].cities)}` : ''
    const name = `${stem} ${word}${place} ${rng.weighted(LEGAL_FORMS)}`
    if (names.has(name)) continue
    names.add(name)
    employers.push({ name, sector, region, ...(rng.chance(0.85) ? { legalId: iceNumber(rng) } : {}) })
  }
  return employers
}

/** A fictional ICE (Identifiant Commun de l'Entreprise): 15 digits. */
function iceNumber(rng: Rng): string {
  return `00${String(rng.int(0, 9_999_999)).padStart(7, '0')}${String(rng.int(0, 999_999)).padStart(6, '0')}`
}
