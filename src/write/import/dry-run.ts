/**
 * Dry runs: the command path decides as usual and writes nothing. A dry run keeps what its
 * earlier calls decided, so a later row is judged as it would be after the earlier ones were
 * written: a learner's own stream (its history plus the dry-run events), and the cross-stream
 * facts those events change (seats taken in a cohort, a person's active record).
 *
 * What a dry run cannot see: an eventId recorded in another stream (the store answers that only
 * on a real append; derived eventIds include the learnerId, so it takes a client-chosen id), and
 * writes made by others while it runs. Positions in its results are 0: nothing was recorded.
 */
import type { Actor, Envelope, PersonalDataDecryptor } from '../../../events'
import { openDecided } from '../../privacy/personal-data'
import { foldLearner, learnerStatus, type LearnerState } from '../../domain'
import type { DecidedEvent, LearnerContext } from '../../domain/types'
import { WrongExpectedRevision } from '../../errors'
import { normalEventId } from '../../store/resend'
import { judgeClearResend } from '../resend'
import type { AppendResult } from '../../store/types'
import type { DryRun } from '../types'

/** What a learner stream contributes to cross-stream rules. */
interface Mark {
  learnerId?: string
  personKey?: string
  /** Not rejected or withdrawn: the record blocks another application of the same person. */
  active: boolean
  /** The cohort whose seat the learner takes (enrolled or completed there). */
  seat?: string
}

function markOf(state: LearnerState): Mark {
  const status = learnerStatus(state)
  const enrolment = state.enrolment
  return {
    learnerId: state.application?.learnerId,
    personKey: state.application?.personKey,
    active: status !== undefined && status !== 'rejected' && status !== 'withdrawn',
    seat: enrolment !== undefined && enrolment.ended !== 'withdrawn' ? enrolment.cohortId : undefined,
  }
}

export class ScratchLedger implements DryRun {
  private readonly streams = new Map<string, DecidedEvent[]>()
  /** Per learner stream touched: its mark as recorded (`base`) and after the dry-run events (`now`). */
  private readonly marks = new Map<string, { base: Mark; now: Mark }>()
  private readonly seatDelta = new Map<string, number>()
  private readonly byPerson = new Map<string, Set<string>>()

  /**
   * `open` brings sealed applications to the in-memory form (privacy/personal-data.ts openDecided)
   * before a fold, so that a mark knows its personKey; pending events stay in stored form, as a
   * re-send is compared with them the way the store would.
   */
  constructor(private readonly open: (e: DecidedEvent) => DecidedEvent = (e) => e) {}

  pending(streamId: string): readonly DecidedEvent[] {
    return this.streams.get(streamId) ?? []
  }

  record(streamId: string, recorded: readonly DecidedEvent[], decided: readonly DecidedEvent[]): void {
    const pending = [...this.pending(streamId), ...decided]
    this.recordState(streamId, () => foldLearner(recorded.map(this.open)), foldLearner([...recorded, ...pending].map(this.open)), decided)
  }

  /**
   * As `record`, given the states already folded: the recorded one (asked for only the first
   * time the stream is seen) and the one after the decided events.
   */
  recordState(streamId: string, recorded: () => LearnerState, now: LearnerState, decided: readonly DecidedEvent[]): void {
    this.streams.set(streamId, [...this.pending(streamId), ...decided])
    const entry = this.marks.get(streamId) ?? { base: markOf(recorded()), now: undefined }
    const before = entry.now ?? entry.base
    const mark = markOf(now)
    this.moveSeat(before.seat, -1)
    this.moveSeat(mark.seat, +1)
    this.marks.set(streamId, { base: entry.base, now: mark })
    if (mark.personKey !== undefined) {
      const streams = this.byPerson.get(mark.personKey) ?? new Set<string>()
      this.byPerson.set(mark.personKey, streams.add(streamId))
    }
  }

  context(ctx: LearnerContext): LearnerContext {
    return {
      ...ctx,
      cohort: (cohortId) => {
        const facts = ctx.cohort(cohortId)
        const delta = this.seatDelta.get(cohortId) ?? 0
        return facts === undefined || delta === 0 ? facts : { ...facts, seatsTaken: facts.seatsTaken + delta }
      },
      personHasActiveRecord: (personKey, exceptLearnerId) => {
        const marks = [...(this.byPerson.get(personKey) ?? [])]
          .map((streamId) => this.marks.get(streamId))
          .filter((m): m is { base: Mark; now: Mark } => m !== undefined && m.now.learnerId !== exceptLearnerId)
        if (marks.some((m) => m.now.active)) return true
        // The recorded ledger holds at most one active record per person (the rule itself): if a
        // dry-run event ended it, the person is free, whatever the recorded projection says.
        if (marks.some((m) => m.base.active && !m.now.active)) return false
        return ctx.personHasActiveRecord(personKey, exceptLearnerId)
      },
    }
  }

  private moveSeat(cohortId: string | undefined, by: number): void {
    if (cohortId !== undefined) this.seatDelta.set(cohortId, (this.seatDelta.get(cohortId) ?? 0) + by)
  }
}

/**
 * A fresh dry run: pass it as `dryRun` to every command of one import. `decryptor`: the ledger's
 * (PersonalData), to open sealed applications; without it they read erased, with no personKey.
 */
export function createDryRun(decryptor?: PersonalDataDecryptor): ScratchLedger {
  return new ScratchLedger(openDecided(decryptor))
}

/**
 * The dry-run end of the write pipeline: what `append` would answer, without appending.
 * `history` is the stream's recorded events as deciders read them (sealed data opened); the dry
 * run's earlier events follow them. Re-sends answer as the store would; `decide` throws the broken
 * rule, as for a real write; nothing is sealed, so a dry run leaves no key behind.
 */
export function decideDryRun(
  dryRun: DryRun, streamId: string, stored: Envelope[], history: DecidedEvent[], candidates: DecidedEvent[],
  expectedRevision: number | undefined, decide: (history: DecidedEvent[]) => DecidedEvent[], actor: Actor,
): AppendResult {
  const all = [...history, ...dryRun.pending(streamId)]
  const byId = new Map(all.map((event, revision) => [normalEventId(event.eventId), { event, streamRevision: revision, position: stored[revision]?.position ?? 0 }]))
  const original = judgeClearResend(streamId, candidates, (id) => byId.get(id))
  if (original !== undefined) return original
  const current = all.length - 1
  if (expectedRevision !== undefined && expectedRevision !== current) throw new WrongExpectedRevision(streamId, expectedRevision, current)
  // Kept with their author: a later row of the dry run may retract them, if that author may.
  const decided = decide(all).map((e) => ({ ...e, actor }))
  dryRun.record(streamId, history, decided)
  const events = decided.map((p, i) => ({ eventId: p.eventId, type: p.type, streamRevision: current + 1 + i, position: 0 }))
  return { streamId, streamRevision: current + decided.length, position: 0, events, duplicate: false }
}
