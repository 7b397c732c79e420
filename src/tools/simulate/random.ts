/**
 * The simulator's only source of chance. Not Math.random: a simulation must be reproducible, so
 * the same (learners, seed) gives the same ledger, every id, date and eventId included, on any
 * machine and on every run; re-running it is then a no-op, because the eventIds repeat.
 *
 * sfc32 (Doty-Humphrey's Small Fast Counting generator): 128 bits of state, passes PractRand and
 * BigCrush, and its built-in counter rules out short cycles. mulberry32 would be smaller, but its
 * 32-bit state puts every seed on one shared cycle of 2^32 draws, and UUIDs drawn from it would
 * carry far fewer than their 122 random bits. The seed is spread over the state by splitmix32.
 */
export class Rng {
  private constructor(private a: number, private b: number, private c: number, private d: number) {}

  static fromSeed(seed: number): Rng {
    let s = seed | 0
    const splitmix32 = (): number => {
      s = (s + 0x9e3779b9) | 0
      let t = s ^ (s >>> 16)
      t = Math.imul(t, 0x21f0aaad)
      t ^= t >>> 15
      t = Math.imul(t, 0x735a2d97)
      return (t ^ (t >>> 15)) >>> 0
    }
    const rng = new Rng(splitmix32(), splitmix32(), splitmix32(), splitmix32())
    // The first draws after seeding are still correlated with the seed: discard them.
    for (let i = 0; i < 15; i++) rng.uint32()
    return rng
  }

  /** An independent copy that continues from the same state. */
  clone(): Rng {
    return new Rng(this.a, this.b, this.c, this.d)
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296
  }

  /** Uniform integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1))
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]
  }

  /** One of `entries`, each as likely as its weight. */
  weighted<T>(entries: ReadonlyArray<readonly [T, number]>): T {
    let total = 0
    for (const [, w] of entries) total += w
    let r = this.next() * total
    for (const [value, w] of entries) {
      r -= w
      if (r < 0) return value
    }
    return entries[entries.length - 1][0]
  }

  /**
   * A UUID shaped as RFC 4122 version 4 (version nibble 4, variant 10xx), so it passes z.uuid(),
   * but drawn from this generator rather than from crypto: it is a function of the seed.
   */
  uuid(): string {
    const w0 = hex(this.uint32())
    const w1 = hex((this.uint32() & 0xffff0fff) | 0x00004000)
    const w2 = hex((this.uint32() & 0x3fffffff) | 0x80000000)
    const w3 = hex(this.uint32())
    return `${w0}-${w1.slice(0, 4)}-${w1.slice(4)}-${w2.slice(0, 4)}-${w2.slice(4)}${w3}`
  }
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0')
}

/**
 * A yes/no outcome with a target rate, drawn by chance but nudged back toward the rate when the
 * outcomes so far have drifted from it. Plain coin flips over a few hundred learners wander a
 * couple of points either way; the nudge keeps a small plan's figures near the rates asked for
 * while each learner's outcome stays random.
 */
export class Quota {
  private trials = 0
  private hits = 0

  constructor(readonly rate: number) {}

  /** Draws an outcome; the caller then calls `note` with what actually happened. */
  draw(rng: Rng): boolean {
    const behind = this.rate * this.trials - this.hits
    const p = Math.min(1, Math.max(0, this.rate + 0.1 * behind))
    return rng.chance(p)
  }

  /** Counts one trial; `hit` is whether the outcome happened (a drawn one may not fit in time). */
  note(hit: boolean): void {
    this.trials++
    if (hit) this.hits++
  }
}
