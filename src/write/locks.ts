/**
 * In-process keyed locks. Rules that span streams (a free seat in a cohort, one active record
 * per person) are decided on projection state; holding the cohort's or the person's lock from
 * the read to the moment the projection holds the new event makes those checks race-free within
 * one service process. Keys are taken in sorted order so two commands never deadlock.
 */
export class KeyedLocks {
  private readonly tails = new Map<string, Promise<void>>()

  async withLocks<T>(keys: string[], work: () => Promise<T>): Promise<T> {
    const sorted = [...new Set(keys)].sort()
    const releases: Array<() => void> = []
    try {
      for (const key of sorted) releases.push(await this.acquire(key))
      return await work()
    } finally {
      for (const release of releases.reverse()) release()
    }
  }

  private async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    let release!: () => void
    const current = new Promise<void>((resolve) => { release = resolve })
    const tail = previous.then(() => current)
    this.tails.set(key, tail)
    await previous
    return () => {
      release()
      // Forget the key once nobody queued behind us, so the map does not grow with every id.
      if (this.tails.get(key) === tail) this.tails.delete(key)
    }
  }
}
