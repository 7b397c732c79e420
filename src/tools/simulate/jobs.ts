/**
 * Placements as operators record them: an employer, a job, a contract, a salary in MAD and the
 * evidence the operator holds, plus the ways a placement ends.
 */
import { createHash } from 'node:crypto'
import { addDays, addMonths, daysBetween } from './calendar'
import { OFF_TRACK_TITLES, TRACK_PROFILES, type ProgrammeTrack } from './catalogue'
import type { Employer } from './setup'
import type { Journey } from './timeline'
import { SIMULATION_END, type LearnerInput } from './types'

export type ContractType = LearnerInput<'PlacementRecorded'>['contractType']

export interface Job {
  placementId: string
  eventId: string
  data: LearnerInput<'PlacementRecorded'>
  qualifying: boolean
  /** Set once a PlacementEnded is recorded. */
  endDate?: string
}

export function qualifyingContract(j: Journey): ContractType {
  return j.rng.weighted([['cdi', 45], ['cdd', 25], ['anapec-idmaj', 15], ['freelance', 9], ['self-employed', 6]] as const)
}

export function pickEmployer(j: Journey): Employer {
  const local = j.world.employersByRegion.get(j.region)
  return local && j.rng.chance(0.55) ? local.draw(j.rng) : j.world.employers.draw(j.rng)
}

/** Records a placement starting on `startDate`, or nothing when that is after the simulation's end. */
export function recordJob(j: Journey, contractType: ContractType, startDate: string, employer = pickEmployer(j)): Job | undefined {
  if (startDate > SIMULATION_END) return undefined
  const { rng } = j
  const track = TRACK_PROFILES[j.cohort.track as ProgrammeTrack]
  const jobTitle = rng.chance(0.88) ? rng.pick(track.jobTitles) : rng.pick(OFF_TRACK_TITLES)
  const placementId = `P-${j.learnerId.slice(2)}-${++j.placements}`
  const kind = evidenceKind(j, contractType)
  // The hash of a document the operator holds; here, of a made-up one, unique to this placement.
  const document = [kind, employer.name, jobTitle, j.learnerId, startDate, rng.uuid()].join('\n')
  const salary = salaryOf(j, contractType, track.salaryMad)
  const data: LearnerInput<'PlacementRecorded'> = {
    placementId,
    employer: { name: employer.name, ...(employer.legalId ? { legalId: employer.legalId } : {}) },
    sector: employer.sector,
    jobTitle,
    contractType,
    startDate,
    ...(salary === undefined ? {} : { monthlySalaryMad: salary }),
    // Some work remotely for an employer elsewhere; the placement's region is where they work.
    region: rng.chance(0.1) ? j.region : employer.region,
    evidence: { kind, sha256: createHash('sha256').update(document).digest('hex') },
  }
  const eventId = j.timeline.add(j.actor, 'PlacementRecorded', data, startDate)
  return { placementId, eventId, data, qualifying: contractType !== 'internship' }
}

function evidenceKind(j: Journey, contract: ContractType): LearnerInput<'PlacementRecorded'>['evidence']['kind'] {
  if (contract === 'freelance' || contract === 'self-employed') return j.rng.chance(0.6) ? 'other' : 'contract'
  if (contract === 'internship') return 'contract'
  return j.rng.weighted([['contract', 50], ['cnss-declaration', 25], ['employer-attestation', 25]] as const)
}

function salaryOf(j: Journey, contract: ContractType, [lo, hi]: readonly [number, number]): number | undefined {
  const { rng } = j
  const round = (n: number) => Math.round(n / 50) * 50
  switch (contract) {
    case 'cdi':
    case 'cdd':
      return rng.chance(0.95) ? round(rng.int(lo, hi)) : undefined
    case 'anapec-idmaj':
      return round(rng.int(3000, 6000))
    case 'freelance':
    case 'self-employed':
      return rng.chance(0.6) ? round(rng.int(lo * 0.7, hi * 1.4)) : undefined
    case 'internship':
      return rng.chance(0.6) ? round(rng.int(1500, 3000)) : undefined
    default: {
      const _: never = contract
      return _
    }
  }
}

/** Records the end of `job` after `days` when that falls within the simulation. */
export function endJob(j: Journey, job: Job, days: number, reason: LearnerInput<'PlacementEnded'>['reason']): void {
  const endDate = addDays(job.data.startDate, days)
  if (endDate > SIMULATION_END) return
  job.endDate = endDate
  j.timeline.add(j.actor, 'PlacementEnded', { placementId: job.placementId, endDate, reason }, endDate)
}

/** How qualifying jobs end, when they do: fixed terms run out, some people leave. */
export function maybeEndJob(j: Journey, job: Job): void {
  const { rng } = j
  const contract = job.data.contractType
  switch (contract) {
    case 'cdd': {
      const term = addMonths(job.data.startDate, rng.int(6, 12))
      if (rng.chance(0.8)) endJob(j, job, Math.max(1, daysBetween(job.data.startDate, term) - 1), 'contract-ended')
      return
    }
    case 'cdi':
      if (rng.chance(0.12)) endJob(j, job, rng.int(90, 420), rng.chance(0.7) ? 'resigned' : 'dismissed')
      return
    case 'anapec-idmaj':
      if (rng.chance(0.3)) endJob(j, job, rng.int(180, 540), 'contract-ended')
      return
    case 'freelance':
    case 'self-employed':
      if (rng.chance(0.1)) endJob(j, job, rng.int(60, 360), 'other')
      return
    case 'internship':
      return
    default: {
      const _: never = contract
      return _
    }
  }
}
