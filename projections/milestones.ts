/**
 * A learner's milestones at a point on both time axes, read in one pass over its facts. Shared by
 * the learner view (current knowledge) and the indicators (as of D, known at T), so that the
 * status a learner shows and the group it counts in never disagree.
 */
import type { FactOf, LearnerRecord } from './ledger'
import { isVisible, type ReadPoint } from './read-point'

export type LearnerStatus = 'applied' | 'waitlisted' | 'accepted' | 'rejected' | 'enrolled' | 'withdrawn' | 'completed'

export interface Milestones {
  application: FactOf<'ApplicationSubmitted'> | undefined
  /** The latest screening: the latest decision counts. */
  screening: FactOf<'ApplicationScreened'> | undefined
  /** The latest enrolment. */
  enrolment: FactOf<'LearnerEnrolled'> | undefined
  withdrawal: FactOf<'LearnerWithdrew'> | undefined
  completion: FactOf<'TrainingCompleted'> | undefined
  /** The latest 6-month follow-up. */
  followUp6: FactOf<'FollowUpRecorded'> | undefined
  status: LearnerStatus
}

export function emptyMilestones(): Milestones {
  return {
    application: undefined,
    screening: undefined,
    enrolment: undefined,
    withdrawal: undefined,
    completion: undefined,
    followUp6: undefined,
    status: 'applied',
  }
}

/**
 * Fills `out` (and returns it) with the learner's visible milestones. Callers that read many
 * learners pass one scratch object to avoid an allocation per learner.
 *
 * The status is the last visible of enrolment, withdrawal and completion in stream order, else
 * the latest screening decision, else `applied`.
 */
export function milestonesAt(rec: LearnerRecord, p: ReadPoint, out: Milestones = emptyMilestones()): Milestones {
  out.application = undefined
  out.screening = undefined
  out.enrolment = undefined
  out.withdrawal = undefined
  out.completion = undefined
  out.followUp6 = undefined
  let progress: LearnerStatus | undefined
  const facts = rec.facts
  for (let i = 0; i < facts.length; i++) {
    const f = facts[i]
    if (!isVisible(f, p)) continue
    switch (f.type) {
      case 'ApplicationSubmitted': out.application = f; break
      case 'ApplicationScreened': out.screening = f; break
      case 'LearnerEnrolled': out.enrolment = f; progress = 'enrolled'; break
      case 'LearnerWithdrew': out.withdrawal = f; progress = 'withdrawn'; break
      case 'TrainingCompleted': out.completion = f; progress = 'completed'; break
      case 'FollowUpRecorded': if (f.code === 6) out.followUp6 = f; break
      case 'PlacementRecorded':
      case 'PlacementEnded':
      case 'PlacementVerified':
        break
      default: {
        const _: never = f
        break
      }
    }
  }
  // Reading the decision costs a memory access: done once per learner, and only when needed.
  out.status = progress ?? out.screening?.data.decision ?? 'applied'
  return out
}
