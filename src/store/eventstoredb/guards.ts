/**
 * Guards (store/types.ts Guard) on a server without multi-stream transactions: a guard is a
 * stream of the adapter's own, `ledger-guard-<name>`, and its version is that stream's revision
 * + 1 (0: no stream). A write that names guards first appends to each guard stream, in name
 * order, at the exact revision its version says, one `GuardReserved` event carrying the whole
 * write: the target stream, its expected revision and the envelopes (eventIds, revisions,
 * payloads, authors, the chain from the head it read). The server's expected-revision check
 * makes each guard stream the one place where writers deciding on the same rule key meet: of two
 * reservations at one revision one wins, the other is told WrongExpectedRevision
 * (`guard:<name>`) before its stream is written.
 *
 * Then the write is settled: its events appended to the target at the carried revision, with
 * the carried eventIds. A reservation is written when every guard it names holds it and the
 * target is still where it expected (or already holds its eventIds: the server answers a re-send
 * of them as a success); it is void when a later guard holds something else, when its writer
 * withdrew it, or when the target moved without its events (another write took that revision;
 * an exact expected revision can never land after it).
 *
 * Anyone may settle: a writer that finds an unsettled reservation at a guard's head (its writer
 * stalled or crashed after reserving) writes it first, so the log holds the write once, whoever
 * wrote it. To do so it first takes the revision right after the reservation on its first guard
 * (`GuardTakenOver`); a writer whose own append was refused takes that same place to withdraw
 * it (`GuardWithdrawn`): the server lets one of them have it, so a refused write either says
 * "nothing written" and stays so, or is written. A reservation still missing a later guard (its
 * writer between two reservations, or gone) is voided by taking that guard's revision first with
 * a `GuardVoided` marker: its writer's reservation there then fails.
 *
 * Whoever writes the events stamps them with its own recordedAt and hashes the chain again from
 * the same head (the writer too, once reserved): recordedAt then follows the order each process
 * sends its appends in, and the eventIds make any two such writes one.
 *
 * So a reservation at revision r + 1 is only ever written once the one at r is written or void:
 * the guard's version read, every write it stands for is in the log, at or before the last
 * written one's position, which the ledger's head is then known to reach (`saw`). The pipeline
 * waits for the projections to reach that head after reading guard versions: the decision sees
 * them. Internal events never reach the head, the stream cache or any ledger read.
 *
 * Within this process, writes naming the same guard reserve one after the other, each once the
 * one before has returned (row batches hand out consecutive versions), and a guard's version is
 * read once the writes of this process on it have returned.
 */
import { randomUUID } from 'node:crypto'
import { jsonEvent, NO_STREAM, WrongExpectedVersionError, type EventData, type RecordedEvent } from '@eventstore/db-client'
import type { Envelope } from '../../../events'
import { StoreUnavailable, WrongExpectedRevision } from '../../errors'
import { eventHash } from '../hash'
import type { AppendResult, Guard } from '../types'
import { toEventData, type AppendContext, type GuardedWrite } from './append'
import { isLedgerStream, LEDGER_STREAM_PREFIXES } from './convert'
import { isOutcomeUnknown, outcomeUnknown, within } from './errors'
import { readStreamBackwards, readStreamEnvelopes, readStreamEvents } from './reads'

/** Guard streams: never a ledger stream (categories are `programme`, `operator-`, `cohort-`, `learner-`). */
export const GUARD_STREAM_PREFIX = 'ledger-guard-'
if (LEDGER_STREAM_PREFIXES.some((p) => GUARD_STREAM_PREFIX.startsWith(p) || p.startsWith(GUARD_STREAM_PREFIX))) {
  throw new Error(`the guard stream prefix ${GUARD_STREAM_PREFIX} overlaps a ledger stream prefix`)
}
export const guardStreamOf = (name: string) => `${GUARD_STREAM_PREFIX}${name}`

export const RESERVED = 'GuardReserved'
/** In a later guard's place: the reservation that expected it there can never be whole. */
export const VOIDED = 'GuardVoided'
/** Right after a reservation on its first guard: whoever takes that place decides an unwritten reservation. */
export const TAKEN_OVER = 'GuardTakenOver'
export const WITHDRAWN = 'GuardWithdrawn'

/** A carried event: its envelope as it will be stored, without the position the server gives. */
type CarriedEvent = Omit<Envelope, 'streamId' | 'position'>

export interface Reservation {
  reservationId: string
  /** The stream written, and its expected revision (-1: no stream). */
  target: string
  expectedRevision: number
  /** Every guard of the write, in name order, with the guard stream revision it was reserved after. */
  guards: Array<{ name: string; expectedRevision: number }>
  events: CarriedEvent[]
}

type Outcome = { written: true; position: number } | { written: false }

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function reservationOf(event: RecordedEvent | undefined): Reservation | undefined {
  if (event?.type !== RESERVED || !isObject(event.data)) return undefined
  const d = event.data
  const ok = typeof d.reservationId === 'string' && typeof d.target === 'string' && typeof d.expectedRevision === 'number' &&
    Array.isArray(d.guards) && Array.isArray(d.events) && d.events.length > 0
  if (!ok) throw new Error(`event ${event.id} of stream ${event.streamId} is not a guard reservation this adapter wrote`)
  return d as unknown as Reservation
}

const reservedBy = (event: RecordedEvent | undefined, reservationId: string) => reservationOf(event)?.reservationId === reservationId
const markedFor = (event: RecordedEvent | undefined, type: string, reservationId: string) =>
  event?.type === type && isObject(event.data) && event.data.reservationId === reservationId

/** Newest last; the oldest goes past the limit. */
class Bounded<V> {
  private readonly map = new Map<string, V>()
  constructor(private readonly limit: number) {}
  get(key: string): V | undefined {
    return this.map.get(key)
  }
  set(key: string, value: V): void {
    this.map.delete(key)
    this.map.set(key, value)
    if (this.map.size > this.limit) this.map.delete(this.map.keys().next().value as string)
  }
}

export interface GuardDeps {
  ctx: AppendContext
  /** Ledger events the adapter read from the server: the stream cache and the head learn them. */
  observe(streamId: string, envelopes: Envelope[]): void
  /** A ledger position written: the head is at least there. */
  saw(position: number): void
}

/** A guarded write in this process, until its append returns: the next one on its guards waits. */
export interface GuardedTurn extends GuardedWrite {
  done(): void
}

// How far back a guard's version walks (a page at a time) past void reservations.
const WALK_PAGE = 20

export class GuardKeeper {
  /** Reservations decided here: written (with the position of their last event) or void. Final once known. */
  private readonly outcomes = new Bounded<Outcome>(10_000)
  /** Per target stream, reservations found or made written here (a count that only changes). */
  private readonly finished = new Bounded<number>(10_000)
  /** Per guard, the revision up to which every reservation is known written or void. */
  private readonly decided = new Bounded<number>(10_000)
  /** Per guard, the last write of this process that names it, until it returns. */
  private readonly turns = new Map<string, Promise<void>>()

  constructor(private readonly deps: GuardDeps) {}

  /**
   * The guard's version: its stream's last revision + 1. A reservation at its head is settled
   * first, and the head is told the position of the last write the guard stands for.
   */
  async version(name: string): Promise<number> {
    // A write of this process on the guard, under way, is waited for rather than taken over.
    await this.turns.get(name)
    const stream = guardStreamOf(name)
    let page = await readStreamBackwards(this.deps.ctx.reads, stream, 1)
    const head = page[0]
    if (head === undefined) return 0
    const revision = Number(head.revision)
    if ((this.decided.get(name) ?? -1) < revision) {
      // Newest first: the first written reservation has the latest position of them all.
      for (;;) {
        const found = await this.firstWritten(name, page)
        if (found !== undefined) {
          this.deps.saw(found)
          break
        }
        const oldest = page.at(-1)!.revision
        if (oldest === 0n) break
        page = await readStreamBackwards(this.deps.ctx.reads, stream, WALK_PAGE, oldest - 1n)
        if (page.length === 0) break
      }
      this.decide(name, revision)
    } else {
      // Known here: the position too, when it is a write this process decided.
      const last = reservationOf(head)
      const outcome = last === undefined ? undefined : this.outcomes.get(last.reservationId)
      if (outcome?.written) this.deps.saw(outcome.position)
    }
    return revision + 1
  }

  private async firstWritten(name: string, page: RecordedEvent[]): Promise<number | undefined> {
    for (const event of page) {
      const reservation = reservationOf(event)
      if (reservation === undefined) continue
      const outcome = await this.settle(reservation, name)
      if (outcome.written) return outcome.position
    }
    return undefined
  }

  /**
   * Registers a write naming `guards` now, in call order: its reservations wait for the writes of
   * this process registered before it on the same guards to return.
   */
  open(guards: readonly Guard[]): GuardedTurn {
    const sorted = [...guards].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const twice = new Set(sorted.map((g) => g.name)).size !== sorted.length
    const before = sorted.map((g) => this.turns.get(g.name)).filter((p): p is Promise<void> => p !== undefined)
    let release = () => {}
    const turn = new Promise<void>((resolve) => { release = resolve })
    for (const g of sorted) this.turns.set(g.name, turn)
    const reservationId = randomUUID()
    const names = sorted.map((g) => ({ name: g.name, expectedRevision: g.version - 1 }))
    const decided = () => names.forEach((g) => this.decide(g.name, g.expectedRevision + 1))
    return {
      reserve: async (target, expectedRevision, envelopes) => {
        if (twice) throw new TypeError('an append names the same guard twice')
        await Promise.all(before)
        const reservation: Reservation = {
          reservationId, target, expectedRevision, guards: names,
          events: envelopes.map(({ streamId: _s, position: _p, ...carried }) => carried),
        }
        for (const [i, g] of sorted.entries()) {
          // What this reservation follows is written or void first: never two open on one guard.
          await this.settledAt(g.name, g.version - 1)
          try {
            await this.reserveOne(g, reservation)
          } catch (error) {
            // Refused or taken on a later guard: the earlier ones hold a reservation that can never be whole.
            if (i > 0 && !(error instanceof StoreUnavailable)) {
              this.outcomes.set(reservationId, { written: false })
            }
            throw error
          }
        }
      },
      written: (result: AppendResult) => {
        this.outcomes.set(reservationId, { written: true, position: result.position })
        decided()
      },
      voided: () => {
        this.outcomes.set(reservationId, { written: false })
        decided()
      },
      withdraw: async () => {
        const first = names[0]
        const stream = guardStreamOf(first.name)
        const marker = jsonEvent({ type: WITHDRAWN, data: { reservationId } })
        try {
          await this.append(stream, first.expectedRevision + 1, [marker])
        } catch (error) {
          if (!(error instanceof WrongExpectedVersionError)) return false
          const now = await this.eventAt(stream, first.expectedRevision + 2)
          if (!markedFor(now, WITHDRAWN, reservationId)) return false
        }
        this.outcomes.set(reservationId, { written: false })
        decided()
        return true
      },
      done: () => {
        release()
        for (const g of sorted) if (this.turns.get(g.name) === turn) this.turns.delete(g.name)
      },
    }
  }

  private decide(name: string, revision: number): void {
    if ((this.decided.get(name) ?? -1) < revision) this.decided.set(name, revision)
  }

  /** The reservation at `revision` of a guard, if any, written or void (one read unless decided here). */
  private async settledAt(name: string, revision: number): Promise<void> {
    if (revision < 0 || (this.decided.get(name) ?? -1) >= revision) return
    const reservation = reservationOf(await this.eventAt(guardStreamOf(name), revision))
    if (reservation !== undefined) await this.settle(reservation, name)
  }

  private async reserveOne(g: Guard, reservation: Reservation): Promise<void> {
    const stream = guardStreamOf(g.name)
    const expected = g.version - 1
    const id = randomUUID()
    const event = jsonEvent({ id, type: RESERVED, data: reservation as unknown as Record<string, unknown> })
    try {
      await this.append(stream, expected, [event])
      return
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual = typeof error.actualVersion === 'bigint' ? Number(error.actualVersion) + 1 : 0
        throw new WrongExpectedRevision(`guard:${g.name}`, g.version, actual)
      }
      if (!isOutcomeUnknown(error)) throw error
      // No answer: what the guard holds at that revision tells.
      const at = await this.eventAt(stream, expected + 1).catch(() => { throw outcomeUnknown(error) })
      if (at?.id === id) return
      if (at !== undefined) throw new WrongExpectedRevision(`guard:${g.name}`, g.version, g.version + 1)
      throw outcomeUnknown(error)
    }
  }

  /** Written or void, deciding it when nobody has: see the top of this file. */
  private async settle(reservation: Reservation, foundOn: string): Promise<Outcome> {
    const known = this.outcomes.get(reservation.reservationId)
    if (known !== undefined) return known
    // Reserved in name order, each after the one before succeeded: the guards up to the one it
    // was found on hold it; the later ones are looked at.
    const from = reservation.guards.findIndex((g) => g.name === foundOn) + 1
    let outcome: Outcome = { written: false }
    let whole = true
    for (const g of reservation.guards.slice(from)) {
      if (!(await this.holds(g, reservation))) {
        whole = false
        break
      }
    }
    if (whole) outcome = await this.write(reservation)
    this.outcomes.set(reservation.reservationId, outcome)
    if (outcome.written) this.finished.set(reservation.target, (this.finished.get(reservation.target) ?? 0) + 1)
    return outcome
  }

  /** How many reservations for `stream` this process has found or made written (EventStore.writesFinishedTo). */
  finishedTo(stream: string): number {
    return this.finished.get(stream) ?? 0
  }

  /** Whether a later guard holds the reservation; one that holds nothing yet is taken from it. */
  private async holds(g: { name: string; expectedRevision: number }, reservation: Reservation): Promise<boolean> {
    const stream = guardStreamOf(g.name)
    const at = await this.eventAt(stream, g.expectedRevision + 1)
    if (at !== undefined) return reservedBy(at, reservation.reservationId)
    const marker = jsonEvent({ type: VOIDED, data: { reservationId: reservation.reservationId } })
    try {
      await this.append(stream, g.expectedRevision, [marker])
      return false
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError) && !isOutcomeUnknown(error)) throw error
      const now = await this.eventAt(stream, g.expectedRevision + 1)
      if (now !== undefined) return reservedBy(now, reservation.reservationId)
      if (isOutcomeUnknown(error)) throw outcomeUnknown(error)
      throw new Error(`guard stream ${stream} is behind revision ${g.expectedRevision} that a reservation read`)
    }
  }

  /** The carried events in their target: there already, written now, or the target moved (void). */
  private async write(reservation: Reservation): Promise<Outcome> {
    const { target, expectedRevision, events } = reservation
    const look = async (): Promise<Outcome | undefined> => {
      const found = await readStreamEnvelopes(this.deps.ctx.reads, target, {
        fromRevision: BigInt(expectedRevision + 1), maxCount: events.length, requiresLeader: true,
      })
      if (found.length === 0) return undefined
      if (found[0].eventId !== events[0].eventId) return { written: false }
      if (found.length < events.length || found.some((e, i) => e.eventId !== events[i].eventId)) {
        throw new Error(`stream ${target} holds only part of the reservation ${reservation.reservationId}`)
      }
      this.deps.observe(target, found)
      const position = found[found.length - 1].position
      if (isLedgerStream(target)) this.deps.saw(position)
      return { written: true, position }
    }
    const before = await look()
    if (before !== undefined) return before
    // Unwritten: taken over here (or by another settler), or withdrawn by its writer; anything
    // else in that place came after the reservation was decided, and the target tells how.
    if (!(await this.takeOver(reservation))) return (await look()) ?? { written: false }
    const data: EventData[] = this.restamped(reservation).map(toEventData)
    try {
      await this.append(target, expectedRevision, data)
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError) && !isOutcomeUnknown(error)) throw error
      const after = await look().catch(() => { throw outcomeUnknown(error) })
      if (after !== undefined) return after
      if (isOutcomeUnknown(error)) throw outcomeUnknown(error)
      throw new Error(`stream ${target} is behind revision ${expectedRevision} that a reservation read`)
    }
    const after = await look()
    if (after === undefined) throw new Error(`stream ${target} does not hold the reservation ${reservation.reservationId} just written`)
    return after
  }

  /**
   * The carried events as recorded now: same eventIds, revisions and payloads, chained from the
   * same head hash, with this process's recordedAt (never before the carried one), so that a
   * write settled late does not step recordedAt back along what this process writes. A settler
   * racing the writer's own append is harmless: the server keeps whichever lands first (ids).
   */
  private restamped(reservation: Reservation): Envelope[] {
    const { target, events } = reservation
    const recordedAt = this.deps.ctx.recordedAt(events[events.length - 1].metadata.recordedAt)
    let prevHash = events[0].metadata.prevHash
    return events.map((e) => {
      const hash = eventHash({
        streamId: target, streamRevision: e.streamRevision, eventId: e.eventId, type: e.type, schemaVersion: e.schemaVersion,
        data: e.data, recordedAt, actor: e.metadata.actor, prevHash,
      })
      const metadata = { ...e.metadata, recordedAt, prevHash, hash }
      prevHash = hash
      return { ...e, streamId: target, position: 0, metadata }
    })
  }

  /** Whether this reservation is to be written by its settlers: the place after it on its first guard is a takeover of it. */
  private async takeOver(reservation: Reservation): Promise<boolean> {
    const first = reservation.guards[0]
    const stream = guardStreamOf(first.name)
    const at = await this.eventAt(stream, first.expectedRevision + 2)
    if (at !== undefined) return markedFor(at, TAKEN_OVER, reservation.reservationId)
    const marker = jsonEvent({ type: TAKEN_OVER, data: { reservationId: reservation.reservationId } })
    try {
      await this.append(stream, first.expectedRevision + 1, [marker])
      return true
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError) && !isOutcomeUnknown(error)) throw error
      const now = await this.eventAt(stream, first.expectedRevision + 2)
      if (now !== undefined) return markedFor(now, TAKEN_OVER, reservation.reservationId)
      if (isOutcomeUnknown(error)) throw outcomeUnknown(error)
      throw new Error(`guard stream ${stream} does not hold the reservation ${reservation.reservationId} it was read with`)
    }
  }

  private async eventAt(stream: string, revision: number): Promise<RecordedEvent | undefined> {
    const [event] = await readStreamEvents(this.deps.ctx.reads, stream, { fromRevision: BigInt(revision), maxCount: 1, requiresLeader: true })
    return event
  }

  private async append(stream: string, expectedRevision: number, events: EventData[]): Promise<void> {
    const { client, appendTimeoutMs } = this.deps.ctx
    const sent = client.appendToStream(stream, events, {
      expectedRevision: expectedRevision === -1 ? NO_STREAM : BigInt(expectedRevision), deadline: appendTimeoutMs,
    })
    await within(sent, appendTimeoutMs, `an append to stream ${stream}`)
  }
}
