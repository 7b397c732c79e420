/** The programme read model: progress to target and the reports handed out. */
import type { LedgerState, ReportRecord } from './ledger'

export interface Progress {
  /** Null until a target is set. */
  learnersTarget: number | null
  deadline: string | null
  /** Learners ever enrolled (an enrolment not retracted), whatever happened next. */
  enrolled: number
  /** enrolled / learnersTarget, unrounded; null without a target. */
  share: number | null
}

export function progress(state: LedgerState): Progress {
  let enrolled = 0
  for (const rec of state.learners.values()) {
    for (const f of rec.facts) {
      if (f.type === 'LearnerEnrolled' && f.retractedAt === undefined) {
        enrolled++
        break
      }
    }
  }
  const target = state.target
  return {
    learnersTarget: target?.learnersTarget ?? null,
    deadline: target?.deadline ?? null,
    enrolled,
    share: target === undefined ? null : enrolled / target.learnersTarget,
  }
}

/** A published report as recorded (its `ReportPublished` data, eventId and recordedAt). */
export function report(state: LedgerState, reportId: string): ReportRecord | undefined {
  const r = state.reports.get(reportId)
  return r === undefined ? undefined : { ...r }
}

/** Every published report, sorted by reportId. */
export function listReports(state: LedgerState): ReportRecord[] {
  return [...state.reports.values()].map((r) => ({ ...r })).sort((a, b) => (a.reportId < b.reportId ? -1 : a.reportId > b.reportId ? 1 : 0))
}
