import t from 'tap'
import { z } from 'zod'
import { Quota, Rng } from '../../src/tools/simulate/random'
import { addDays, addMonths, dateOfDay, dayNumber, daysBetween } from '../../src/tools/simulate/calendar'

const draws = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.uint32())

t.test('the same seed draws the same sequence; another seed another one', async (t) => {
  t.same(draws(Rng.fromSeed(42), 100), draws(Rng.fromSeed(42), 100))
  t.not(draws(Rng.fromSeed(42), 100).join(), draws(Rng.fromSeed(43), 100).join())
  t.not(draws(Rng.fromSeed(0), 100).join(), draws(Rng.fromSeed(1), 100).join())
})

t.test('a clone continues from the same state, independently', async (t) => {
  const rng = Rng.fromSeed(7)
  draws(rng, 10)
  const copy = rng.clone()
  t.same(draws(copy, 50), draws(rng, 50))
})

t.test('int stays within its bounds and reaches both ends', async (t) => {
  const rng = Rng.fromSeed(3)
  const drawn = Array.from({ length: 2000 }, () => rng.int(20, 40))
  t.same(drawn.filter((n) => !Number.isInteger(n) || n < 20 || n > 40), [], 'none out of range')
  t.equal(new Set(drawn).size, 21, 'every value from 20 to 40 drawn')
})

t.test('weighted draws follow the weights', async (t) => {
  const rng = Rng.fromSeed(5)
  let heavy = 0
  for (let i = 0; i < 10_000; i++) if (rng.weighted([['a', 9], ['b', 1]] as const) === 'a') heavy++
  t.ok(heavy > 8800 && heavy < 9200, `9:1 weights gave ${heavy} of 10000`)
})

t.test('uuids are version-4-shaped, pass z.uuid() and do not repeat', async (t) => {
  const rng = Rng.fromSeed(9)
  const ids = Array.from({ length: 20_000 }, () => rng.uuid())
  const schema = z.uuid()
  const shape = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
  t.same(ids.filter((id) => !shape.test(id) || !schema.safeParse(id).success), [], 'every id well formed')
  t.equal(new Set(ids).size, ids.length)
})

t.test('a quota lands near its rate, far nearer than coin flips need to', async (t) => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const rng = Rng.fromSeed(seed)
    const quota = new Quota(0.125)
    let hits = 0
    for (let i = 0; i < 800; i++) {
      const hit = quota.draw(rng)
      quota.note(hit)
      if (hit) hits++
    }
    t.ok(Math.abs(hits - 100) <= 8, `seed ${seed}: ${hits} of 800 at 12.5%`)
  }
})

t.test('a quota makes up for drawn outcomes that did not happen', async (t) => {
  const rng = Rng.fromSeed(11)
  const quota = new Quota(0.5)
  for (let i = 0; i < 20; i++) quota.note(false)
  let hits = 0
  for (let i = 0; i < 20; i++) if (quota.draw(rng)) hits++, quota.note(true)
  t.ok(hits >= 18, `after 20 misses at 50%, ${hits} of the next 20 drawn`)
})

t.test('calendar arithmetic agrees with Date on every day from 1900 to 2100', async (t) => {
  let mismatches = 0
  for (let day = dayNumber('1900-01-01'); day <= dayNumber('2100-12-31'); day++) {
    const expected = new Date(day * 86_400_000).toISOString().slice(0, 10)
    if (dateOfDay(day) !== expected || dayNumber(expected) !== day) mismatches++
  }
  t.equal(mismatches, 0)
  t.equal(dayNumber('1970-01-01'), 0)
  t.equal(addDays('2024-02-28', 1), '2024-02-29')
  t.equal(addDays('2026-12-31', 1), '2027-01-01')
  t.equal(daysBetween('2025-01-01', '2026-01-01'), 365)
})

t.test('adding months keeps the day, or takes the month\'s last one', async (t) => {
  t.equal(addMonths('2024-11-15', 3), '2025-02-15')
  t.equal(addMonths('2024-01-31', 1), '2024-02-29')
  t.equal(addMonths('2025-01-31', 1), '2025-02-28')
  t.equal(addMonths('2025-08-31', 1), '2025-09-30')
  t.equal(addMonths('2025-06-30', 12), '2026-06-30')
})
