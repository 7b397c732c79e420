/**
 * Published reports: a figure set handed out, recorded as `ReportPublished` on the programme
 * stream with the digest of its figures, and reproducible forever from the log.
 *
 * What is digested: `figuresDigest(groups)` is the SHA-256 (hex) of the RFC 8785 canonical JSON
 * of the `groups` array exactly as the figures answer it (insertion or employment groups, in
 * key order, rates unrounded). The definition, groupBy, asOf and knownAt that produced them are
 * recorded beside the digest in the event, not inside it.
 */
import type { DefinitionId, GroupBy, ReportPublished } from '../../../events'
import { computeIndicator, type EmploymentGroup, type InsertionGroup } from '../../../projections/indicators'
import type { ReportRecord } from '../../../projections/ledger'
import { notFound } from '../../errors'
import { canonicalJson, sha256Hex } from '../../store/hash'
import type { ReadSide } from '../types'

export interface ReportRequest {
  reportId: string
  definition: DefinitionId
  groupBy: GroupBy
  asOf: string
  /** Default now; a moment in the future is published as now (a report cannot know the future). */
  knownAt?: string
}

export interface FigureQuery {
  definition: DefinitionId
  groupBy: GroupBy
  asOf: string
  /** ISO with milliseconds and Z. */
  knownAt: string
}

export interface ReportFigures extends FigureQuery {
  /** The last position known at knownAt (0: none). */
  position: number
  groups: InsertionGroup[] | EmploymentGroup[]
}

/** The ReportPublished as recorded, with the event that recorded it. */
export type PublishedReport = ReportPublished & { eventId: string; recordedAt: string }

export interface ReportView {
  report: PublishedReport
  /** The figures recomputed now from the log, at the report's asOf and knownAt. */
  figures: ReportFigures
  /** figuresDigest of those figures. */
  digest: string
  /** true when the recomputed digest is the published one. */
  reproduced: boolean
}

export const figuresDigest = (groups: ReportFigures['groups']): string => sha256Hex(canonicalJson(groups))

/** The figures of the live projections at a point on both axes (knownAt already normalized). */
export function figuresAt(ledger: Pick<ReadSide, 'runner'>, q: FigureQuery): ReportFigures {
  const { definition, groupBy, asOf, knownAt } = q
  const { groups } = computeIndicator(ledger.runner.state, { definition, groupBy, asOf, knownAt })
  return { definition, groupBy, asOf, knownAt, position: ledger.runner.positionAt(knownAt), groups }
}

const published = (r: ReportRecord): PublishedReport => ({
  reportId: r.reportId, definition: r.definition, groupBy: r.groupBy, asOf: r.asOf, knownAt: r.knownAt,
  position: r.position, digest: r.digest, eventId: r.eventId, recordedAt: r.recordedAt,
})

export function findReport(ledger: Pick<ReadSide, 'runner'>, reportId: string): PublishedReport {
  const record = ledger.runner.state.reports.get(reportId)
  if (record === undefined) throw notFound(`report ${reportId}`)
  return published(record)
}

/** A published report and its figures recomputed as published: same asOf, same knownAt. */
export function readReport(ledger: Pick<ReadSide, 'runner'>, reportId: string): ReportView {
  const report = findReport(ledger, reportId)
  const figures = figuresAt(ledger, report)
  const digest = figuresDigest(figures.groups)
  return { report, figures, digest, reproduced: digest === report.digest }
}
