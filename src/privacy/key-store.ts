/**
 * Per-learner data keys, held outside the event log: destroying one erases the learner's
 * personal attributes from every copy of the log at once (crypto-shredding).
 *
 * Reads are synchronous because the projection fold that opens applications is: the embedded
 * implementation (store/sqlite/key-store.ts) answers from memory, then from a local file. Writes of new
 * keys are batched (`persist`), as the event store's appends are.
 */
import { LedgerError, WrongExpectedRevision } from '../errors'
import { shredKey } from './cipher'

export interface PersonalKeyStore {
  /** The learner's data key; undefined when none was made, or it was destroyed. */
  get(learnerId: string): Buffer | undefined
  /**
   * The learner's data key, made on first use. Throws `personal-data-erased` once it was
   * destroyed. A key made here is held in memory until `persist`: the command path persists
   * before it appends anything sealed with it, so keys made together share one write.
   */
  getOrCreate(learnerId: string): Buffer
  /**
   * Writes the keys made since the last call (calls in the same turn of the event loop share the
   * write), and resolves once they are durable. Rejects when another process made a key for one
   * of those learners meanwhile: that learner's key made here is dropped, and the other
   * process's is the one `get` answers from then on, so a new attempt seals with it. (SQLite
   * writes the batch in one transaction and keeps nothing of it; EventStoreDB writes each key
   * apart, and rejects with WrongExpectedRevision, which the write pipeline retries.)
   */
  persist(): Promise<void>
  /**
   * Destroys the learner's key for good (its bytes overwritten, not only unlinked) and remembers
   * that it did, with the log position of the erasure event. False when it was already destroyed.
   * Asynchronous: a shared store (EventStoreDB) destroys it on the server for every instance.
   */
  destroy(learnerId: string, erasurePosition: number): Promise<boolean>
  /**
   * For a store shared by several processes, whose `get` answers from memory kept current in the
   * background: makes sure that memory holds the learner's key, or knows it destroyed, as the
   * store holds it now. Called before a sealed event of a learner with no known key is opened.
   * Stores that read their own file on `get` need none.
   */
  ensure?(learnerId: string): Promise<void>
  /** True once the learner's key was destroyed. */
  isDestroyed(learnerId: string): boolean
  /** The highest log position of an erasure whose key is destroyed; 0 for none. */
  lastErasurePosition(): number
  close(): void
}

/**
 * `persist` lost a race: another process made a key for this learner first. Nothing of the
 * write was kept; the write pipeline decides and seals again, now with the winner's key.
 */
export const keyMadeElsewhere = (learnerId: string) => new WrongExpectedRevision(`ledger-key-${learnerId}`, -1, 0)
export const isKeyMadeElsewhere = (error: unknown): boolean =>
  error instanceof WrongExpectedRevision && error.streamId.startsWith('ledger-key-')

/** A new key asked for a learner whose personal data was erased: nothing sealed can be written for it again. */
export const personalDataErased = (learnerId: string) => new LedgerError(409, 'personal-data-erased',
  `the personal data of learner ${learnerId} was erased; nothing personal can be recorded for this learnerId again`)

/**
 * Keys in memory only, for tests and throwaway ledgers: they live as long as the process, so a
 * ledger written with them cannot be read after a restart. Never the service's store.
 */
export class MemoryKeyStore implements PersonalKeyStore {
  private readonly keys = new Map<string, Buffer>()
  private readonly destroyed = new Map<string, number>()

  constructor(private readonly newKey: () => Buffer) {}

  get(learnerId: string): Buffer | undefined {
    return this.keys.get(learnerId)
  }

  getOrCreate(learnerId: string): Buffer {
    if (this.destroyed.has(learnerId)) throw personalDataErased(learnerId)
    let key = this.keys.get(learnerId)
    if (key === undefined) this.keys.set(learnerId, (key = this.newKey()))
    return key
  }

  async persist(): Promise<void> {
    // Nothing to write: the keys live in this process only.
  }

  async destroy(learnerId: string, erasurePosition: number): Promise<boolean> {
    if (this.destroyed.has(learnerId)) return false
    const key = this.keys.get(learnerId)
    if (key !== undefined) {
      shredKey(key)
    }
    this.keys.delete(learnerId)
    this.destroyed.set(learnerId, erasurePosition)
    return true
  }

  isDestroyed(learnerId: string): boolean {
    return this.destroyed.has(learnerId)
  }

  lastErasurePosition(): number {
    let last = 0
    for (const position of this.destroyed.values()) last = Math.max(last, position)
    return last
  }

  close(): void {
    for (const key of this.keys.values()) key.fill(0)
    this.keys.clear()
  }
}
