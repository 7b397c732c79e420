/**
 * Publishing a report: the figures computed on the read side, then `ReportPublished` recorded
 * through the command pipeline with their digest (read/audit/reports.ts says what is digested).
 */
import type { Actor, ReportPublished } from '../../events'
import { figuresAt, figuresDigest, findReport, readReport, type ReportRequest, type ReportView } from '../read/audit/reports'
import { readKnownAt } from '../read/audit/time'
import type { ReadSide } from '../read/types'
import type { CommandOptions, Commands } from './types'

/**
 * Computes the figures on projections that hold the whole log, then records ReportPublished
 * through the command path (which refuses a reportId already published: 409 report-exists).
 * A re-send with the same eventId is idempotent only when it names the same knownAt: the
 * default (now) differs from call to call.
 */
export async function publishReport(
  ledger: ReadSide & { commands: Pick<Commands, 'publishReport'> }, actor: Actor, request: ReportRequest, options: CommandOptions = {},
): Promise<ReportView & { duplicate: boolean }> {
  await ledger.runner.require(await ledger.store.headPosition())
  const knownAt = readKnownAt(ledger.clock.now(), request.knownAt)
  const figures = figuresAt(ledger, { definition: request.definition, groupBy: request.groupBy, asOf: request.asOf, knownAt })
  const digest = figuresDigest(figures.groups)
  const data: ReportPublished = {
    reportId: request.reportId, definition: figures.definition, groupBy: figures.groupBy,
    asOf: figures.asOf, knownAt, position: figures.position, digest,
  }
  const result = await ledger.commands.publishReport(actor, data, options)
  if (result.duplicate) return { ...readReport(ledger, request.reportId), duplicate: true }
  const report = findReport(ledger, request.reportId)
  return { report, figures, digest, reproduced: digest === report.digest, duplicate: result.duplicate }
}
