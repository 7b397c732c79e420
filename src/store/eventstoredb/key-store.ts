/**
 * The personal-data key store of a deployment on EventStoreDB / KurrentDB: shared by every
 * instance of the service on one server, so that an application sealed on one instance opens on
 * all, and an erasure on one destroys the key for all.
 *
 * Streams (none of them a ledger stream: convert.ts LEDGER_STREAM_PREFIXES, checked below, so
 * the ledger's reads, exports, verify and replays never see them):
 * - `ledger-key-<learnerId>`: one `PersonalKeyMade` event, the learner's data key wrapped under
 *   the master key derived from the pepper (privacy/cipher.ts wrapKey), written with expected
 *   revision NO_STREAM: of two instances making a key for one learner, one wins; the other's
 *   `persist()` rejects (WrongExpectedRevision, which the write pipeline retries) and it adopts
 *   the winner's key. Destroyed by a tombstone (hard delete): the stream can never be written
 *   again, so no key is ever made again for an erased learner, and reads of it fail StreamDeleted.
 * - `ledger-keys-erased`: one `PersonalKeyDestroyed` event per erasure (learnerId and the log
 *   position of its `PersonalDataErased`): `isDestroyed` and `lastErasurePosition` on every
 *   instance.
 *
 * `get` is synchronous (the folds are): it answers from memory. The memory is filled at open by a
 * catch-up subscription to `$all` filtered to these streams, which then stays live: keys made and
 * destroyed by other instances reach this one (a destroyed key is zeroed here too). A fold that
 * meets a sealed event before the subscription brought its key asks `ensure`, which reads that
 * learner's key stream from the leader.
 *
 * A tombstone does not remove the bytes: the key's event stays in the server's files (and `$all`)
 * until a scavenge. An operator runs a scavenge after erasures (README); backups taken before it
 * keep the wrapped key, which the pepper still opens.
 */
import {
  EventStoreDBClient, jsonEvent, NO_STREAM, START, StreamDeletedError, StreamNotFoundError, streamNameFilter,
  WrongExpectedVersionError, type ReadPosition, type RecordedEvent, type ResolvedEvent,
} from '@eventstore/db-client'
import { shredKey, masterKeyFrom, newDataKey, unwrapKey, wrapKey } from '../../privacy/cipher'
import { keyMadeElsewhere, personalDataErased, type PersonalKeyStore } from '../../privacy/key-store'
import { LEDGER_STREAM_PREFIXES } from './convert'
import { toStoreError, within } from './errors'

export const KEY_STREAM_PREFIX = 'ledger-key-'
export const ERASED_KEYS_STREAM = 'ledger-keys-erased'
/** Both: the prefix the follower asks the server for. */
const FOLLOWED_PREFIX = 'ledger-key'
if (LEDGER_STREAM_PREFIXES.some((p) => FOLLOWED_PREFIX.startsWith(p) || p.startsWith(FOLLOWED_PREFIX))) {
  throw new Error(`the key stream prefix ${FOLLOWED_PREFIX} overlaps a ledger stream prefix`)
}
export const keyStreamOf = (learnerId: string) => `${KEY_STREAM_PREFIX}${learnerId}`

export const KEY_MADE = 'PersonalKeyMade'
export const KEY_DESTROYED = 'PersonalKeyDestroyed'
/** The type of a tombstone's record, as the server writes it. */
const TOMBSTONE = '$streamDeleted'

export interface EventStoreDbKeyStoreOptions {
  /** The server pepper (src/auth/pepper.ts): the master key is derived from it. */
  pepper: Buffer
  /** How long a read may take. Default 5000. */
  readTimeoutMs?: number
  /** How long an append or a tombstone waits for an answer. Default 10000. */
  appendTimeoutMs?: number
  /** Waits before a dropped follower subscribes again. Default 250 ms doubling up to 5 s. */
  resubscribe?: { minDelayMs: number; maxDelayMs: number }
  /** Only read (replay, restore's check): making or destroying a key then fails. */
  readonly?: boolean
  /**
   * False: no subscription; keys are read one learner at a time, as folds need them (`ensure`).
   * For one-shot commands that read (replay, restore's check), which would otherwise load every
   * key. Default true.
   */
  follow?: boolean
  now?: () => Date
}

export interface EventStoreDbKeyStore extends PersonalKeyStore {
  ensure(learnerId: string): Promise<void>
  /**
   * Writes a key wrapped elsewhere under the same pepper (moving a SQLite deployment's key file
   * here: tools/move-keys.ts). False when the learner already has this very key (a move run
   * again); a learner with another key, or whose key was destroyed, is refused.
   */
  importWrapped(learnerId: string, wrapped: Buffer): Promise<boolean>
  /** Resolves once the follower has read every key stream the server held at open. */
  ready(): Promise<void>
}

const readonlyStore = () => new Error('this personal-data key store was opened read-only')

export function openEventStoreDbKeyStore(connectionString: string, options: EventStoreDbKeyStoreOptions): EventStoreDbKeyStore {
  const client = EventStoreDBClient.connectionString(connectionString)
  const master = masterKeyFrom(options.pepper)
  const readTimeoutMs = options.readTimeoutMs ?? 5000
  const appendTimeoutMs = options.appendTimeoutMs ?? 10_000
  const retry = options.resubscribe ?? { minDelayMs: 250, maxDelayMs: 5000 }
  const now = () => (options.now ?? (() => new Date()))().toISOString()

  /** Unwrapped keys: persisted ones, the server's, and this process's not yet persisted. */
  const keys = new Map<string, Buffer>()
  /**
   * Keys read from the server and not yet asked for, still wrapped: unwrapped on first use, so a
   * start does not unwrap every learner's key, nor a key whose tombstone follows it in the log.
   */
  const wrappedKeys = new Map<string, Buffer>()
  /** Keys made here and not yet written (persist). */
  let pending = new Map<string, { key: Buffer; wrapped: Buffer }>()
  let flush: Promise<void> | undefined
  /** Keys of this process being written: the server decides between them and another instance's. */
  const writing = new Set<string>()
  /** Learners whose key is destroyed, with the erasure's position (0 while only the tombstone is known). */
  const destroyed = new Map<string, number>()
  const ensuring = new Map<string, Promise<void>>()
  let closed = false

  function forget(learnerId: string): void {
    const key = keys.get(learnerId)
    if (key !== undefined) {
      shredKey(key)
    }
    keys.delete(learnerId)
    pending.delete(learnerId)
    wrappedKeys.get(learnerId)?.fill(0)
    wrappedKeys.delete(learnerId)
  }

  function markDestroyed(learnerId: string, position: number): void {
    forget(learnerId)
    destroyed.set(learnerId, Math.max(destroyed.get(learnerId) ?? 0, position))
  }

  /**
   * A key read from the server: adopted unless destroyed. Not while a key of ours for the learner
   * is unwritten or being written: something may be sealed with it, and persist's NO_STREAM tells
   * which one won (writeKey).
   */
  function adopt(learnerId: string, event: RecordedEvent): void {
    if (destroyed.has(learnerId) || event.type !== KEY_MADE || pending.has(learnerId) || writing.has(learnerId)) return
    const data = event.data as { wrappedKey?: unknown } | undefined
    if (typeof data?.wrappedKey !== 'string') return
    // The server holds one key per learner (NO_STREAM): a key known already is that one.
    if (!keys.has(learnerId)) wrappedKeys.set(learnerId, Buffer.from(data.wrappedKey, 'base64'))
  }

  /** The learner's key, unwrapped now if it was only known wrapped; undefined under another pepper. */
  function get(learnerId: string): Buffer | undefined {
    const known = keys.get(learnerId)
    if (known !== undefined) return known
    const wrapped = wrappedKeys.get(learnerId)
    if (wrapped === undefined) return undefined
    let key: Buffer
    try {
      key = unwrapKey(master, learnerId, wrapped)
    } catch {
      return undefined // wrapped under another pepper: it opens nothing here
    }
    wrappedKeys.delete(learnerId)
    keys.set(learnerId, key)
    return key
  }
  const knows = (learnerId: string) => keys.has(learnerId) || wrappedKeys.has(learnerId)

  function observe(event: RecordedEvent): void {
    const stream = event.streamId
    if (stream === ERASED_KEYS_STREAM) {
      const data = event.data as { learnerId?: unknown; erasurePosition?: unknown } | undefined
      if (typeof data?.learnerId === 'string') markDestroyed(data.learnerId, typeof data.erasurePosition === 'number' ? data.erasurePosition : 0)
    } else if (stream.startsWith(KEY_STREAM_PREFIX)) {
      const learnerId = stream.slice(KEY_STREAM_PREFIX.length)
      if (event.type === TOMBSTONE) markDestroyed(learnerId, 0)
      else adopt(learnerId, event)
    }
  }

  // The follower: a catch-up subscription to the key streams, resubscribing after a drop.
  let from: ReadPosition = START
  let caughtUp: () => void = () => {}
  const loaded = new Promise<void>((resolve) => { caughtUp = resolve })
  let current: { unsubscribe(): Promise<void> } | undefined
  let timer: NodeJS.Timeout | undefined
  let failures = 0
  function follow(): void {
    if (closed) return
    const subscription = client.subscribeToAll({ fromPosition: from, filter: streamNameFilter({ prefixes: [FOLLOWED_PREFIX] }) })
    current = subscription
    let dropped = false
    const drop = () => {
      if (dropped) return
      dropped = true
      void subscription.unsubscribe().catch(() => undefined)
      if (closed) return
      const delay = Math.min(retry.maxDelayMs, retry.minDelayMs * 2 ** Math.min(failures++, 20))
      timer = setTimeout(follow, delay)
      timer.unref()
    }
    subscription.on('data', (resolved: ResolvedEvent) => {
      const event = resolved.event
      if (event === undefined) return
      failures = 0
      observe(event)
      if (event.position !== undefined) from = event.position
    })
    subscription.on('caughtUp', () => caughtUp())
    subscription.on('error', drop)
    subscription.on('end', drop)
  }
  if (options.follow === false) caughtUp()
  else follow()

  /** Waits for the first catch-up, for at most a read's deadline: ensure's own read covers the rest. */
  const loadedOrLate = () => within(loaded, readTimeoutMs, 'the load of the personal-data keys').catch(() => undefined)

  /** The learner's key stream, read from the leader. */
  async function readKey(learnerId: string): Promise<void> {
    const read = client.readStream(keyStreamOf(learnerId), { fromRevision: START, maxCount: 1, requiresLeader: true })
    try {
      const events = await within((async () => {
        const out: RecordedEvent[] = []
        for await (const resolved of read) if (resolved.event !== undefined) out.push(resolved.event)
        return out
      })(), readTimeoutMs, `a read of stream ${keyStreamOf(learnerId)}`, () => void read.cancel().catch(() => undefined))
      if (events[0] !== undefined) adopt(learnerId, events[0])
    } catch (error) {
      if (error instanceof StreamNotFoundError) return
      if (error instanceof StreamDeletedError) return markDestroyed(learnerId, 0)
      throw toStoreError(error)
    }
  }

  /** The learner's key as the server holds it now; nothing to do once it is known destroyed. */
  async function ensure(learnerId: string): Promise<void> {
    if (destroyed.has(learnerId)) return
    const knew = knows(learnerId)
    await loadedOrLate()
    if (destroyed.has(learnerId) || closed || (!knew && knows(learnerId))) return
    let reading = ensuring.get(learnerId)
    if (reading === undefined) {
      reading = readKey(learnerId).finally(() => ensuring.delete(learnerId))
      ensuring.set(learnerId, reading)
    }
    await reading
  }

  async function append(stream: string, expectedRevision: typeof NO_STREAM | 'any', event: ReturnType<typeof jsonEvent>): Promise<void> {
    await within(client.appendToStream(stream, event, { expectedRevision, deadline: appendTimeoutMs }), appendTimeoutMs, `an append to stream ${stream}`)
  }

  /** One key written: NO_STREAM, so that one instance's key wins; the loser adopts it and rejects. */
  async function writeKey(learnerId: string, wrapped: Buffer): Promise<void> {
    const event = jsonEvent({ type: KEY_MADE, data: { learnerId, wrappedKey: wrapped.toString('base64'), madeAt: now() } })
    writing.add(learnerId)
    try {
      await append(keyStreamOf(learnerId), NO_STREAM, event)
      writing.delete(learnerId)
    } catch (error) {
      writing.delete(learnerId)
      if (error instanceof StreamDeletedError) {
        markDestroyed(learnerId, 0)
        throw personalDataErased(learnerId)
      }
      if (!(error instanceof WrongExpectedVersionError)) {
        keys.delete(learnerId)
        throw toStoreError(error)
      }
      // Another instance made one first: its key from now on; what was sealed with ours is sealed again.
      const ours = keys.get(learnerId)
      keys.delete(learnerId)
      wrappedKeys.delete(learnerId)
      if (ours !== undefined) {
        shredKey(ours)
      }
      await readKey(learnerId).catch(() => undefined)
      throw keyMadeElsewhere(learnerId)
    }
  }

  async function importWrapped(learnerId: string, wrapped: Buffer): Promise<boolean> {
    if (options.readonly) throw readonlyStore()
    // Refused now rather than later: a key that does not open under this pepper is of no use here.
    const key = unwrapKey(master, learnerId, wrapped)
    const event = jsonEvent({ type: KEY_MADE, data: { learnerId, wrappedKey: wrapped.toString('base64'), madeAt: now() } })
    try {
      await append(keyStreamOf(learnerId), NO_STREAM, event)
      return true
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error instanceof StreamDeletedError ? personalDataErased(learnerId) : toStoreError(error)
      await readKey(learnerId)
      if (get(learnerId)?.equals(key) === true) return false
      throw new Error(`learner ${learnerId} already has another personal-data key on this server`)
    }
  }

  function persist(): Promise<void> {
    if (pending.size === 0) return flush ?? Promise.resolve()
    // Everything made until the writes start goes with them: callers of this turn share them.
    flush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      const batch = pending
      pending = new Map()
      flush = undefined
      const written = await Promise.allSettled([...batch].map(([learnerId, { wrapped }]) => writeKey(learnerId, wrapped)))
      const failed = written.find((w): w is PromiseRejectedResult => w.status === 'rejected')
      if (failed !== undefined) throw failed.reason
    })
    return flush
  }

  async function destroy(learnerId: string, erasurePosition: number): Promise<boolean> {
    if (options.readonly) throw readonlyStore()
    if ((destroyed.get(learnerId) ?? 0) > 0) return false
    forget(learnerId)
    // The tombstone first: from then on no key can be made for the learner, on any instance.
    try {
      await within(client.tombstoneStream(keyStreamOf(learnerId), { deadline: appendTimeoutMs }), appendTimeoutMs,
        `the tombstone of stream ${keyStreamOf(learnerId)}`)
    } catch (error) {
      if (!(error instanceof StreamDeletedError)) throw toStoreError(error)
    }
    markDestroyed(learnerId, 0)
    const record = jsonEvent({ type: KEY_DESTROYED, data: { learnerId, erasurePosition, destroyedAt: now() } })
    try {
      await append(ERASED_KEYS_STREAM, 'any', record)
    } catch (error) {
      throw toStoreError(error)
    }
    markDestroyed(learnerId, erasurePosition)
    return true
  }

  return {
    get,
    getOrCreate(learnerId) {
      if (destroyed.has(learnerId)) throw personalDataErased(learnerId)
      const known = get(learnerId)
      if (known !== undefined) return known
      if (wrappedKeys.has(learnerId)) throw new Error(`the key of learner ${learnerId} on the server does not open under this pepper`)
      if (options.readonly) throw readonlyStore()
      const key = newDataKey()
      pending.set(learnerId, { key, wrapped: wrapKey(master, learnerId, key) })
      keys.set(learnerId, key)
      return key
    },
    persist,
    destroy,
    ensure,
    importWrapped,
    ready: () => loaded,
    isDestroyed: (learnerId) => destroyed.has(learnerId),
    lastErasurePosition() {
      let last = 0
      for (const position of destroyed.values()) last = Math.max(last, position)
      return last
    },
    close() {
      closed = true
      clearTimeout(timer)
      caughtUp()
      void current?.unsubscribe().catch(() => undefined)
      for (const key of keys.values()) {
        shredKey(key)
      }
      keys.clear()
      for (const wrapped of wrappedKeys.values()) wrapped.fill(0)
      wrappedKeys.clear()
      void client.dispose().catch(() => undefined)
    },
  }
}
