/**
 * src/retry.ts: how often `fn` runs, which error the caller gets, and when each attempt starts.
 * Pauses are read off fake timers (node:test's MockTimers): no test waits for real time.
 */
import t, { type Test } from 'tap'
import { mock } from 'node:test'
import { WrongExpectedRevision, RuleViolation } from '../src/errors'
import { CONFLICT_RETRY, retrying } from '../src/retry'

class Conflict extends Error {}

/** Fails with a new Conflict `failures` times, then answers `done`; records each attempt number. */
function flaky(failures: number) {
  const calls: number[] = []
  const fn = async (attempt: number) => {
    calls.push(attempt)
    if (calls.length <= failures) throw new Conflict(`conflict ${calls.length}`)
    return 'done'
  }
  return { fn, calls }
}

/** Lets every promise and immediate queued so far run (setImmediate is not faked). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve))

function fakeTimers(t: Test) {
  mock.timers.enable({ apis: ['setTimeout'] })
  t.teardown(() => mock.timers.reset())
  return async (ms: number) => {
    mock.timers.tick(ms)
    await settle()
  }
}

t.test('the first answer is returned; each attempt knows its number', async (t) => {
  const { fn, calls } = flaky(2)
  t.equal(await retrying(fn, { attempts: 5 }), 'done')
  t.same(calls, [1, 2, 3])
})

t.test('after the last attempt, the caller gets the last error', async (t) => {
  const { fn, calls } = flaky(10)
  await t.rejects(retrying(fn, { attempts: 4 }), new Conflict('conflict 4'))
  t.same(calls, [1, 2, 3, 4])
})

t.test('an error retryIf refuses is thrown at once; retryIf sees the error and the failed attempt', async (t) => {
  const seen: Array<[string, number]> = []
  const { fn, calls } = flaky(10)
  const retryIf = (error: unknown, attempt: number) => {
    seen.push([(error as Error).message, attempt])
    return attempt < 2
  }
  await t.rejects(retrying(fn, { attempts: 5, retryIf }), new Conflict('conflict 2'))
  t.same(calls, [1, 2])
  t.same(seen, [['conflict 1', 1], ['conflict 2', 2]])
  const other = retrying(async () => { throw new TypeError('not a conflict') }, { attempts: 5, retryIf: (e) => e instanceof Conflict })
  await t.rejects(other, new TypeError('not a conflict'))
})

t.test('pauses start at baseMs and double, up to maxMs', async (t) => {
  const advance = fakeTimers(t)
  const { fn, calls } = flaky(4)
  const answer = retrying(fn, { attempts: 5, baseMs: 100, maxMs: 300 })
  await settle()
  t.same(calls, [1], 'the first attempt does not wait')
  // Before each attempt: 100, 200, then 400 capped at 300, twice.
  for (const [pause, expected] of [[100, [1, 2]], [200, [1, 2, 3]], [300, [1, 2, 3, 4]], [300, [1, 2, 3, 4, 5]]] as const) {
    await advance(pause - 1)
    t.equal(calls.length, expected.length - 1, `not before ${pause} ms`)
    await advance(1)
    t.same(calls, expected, `attempt ${expected.length} after ${pause} ms`)
  }
  t.equal(await answer, 'done')
})

t.test('with jitter, no pause is longer than without', async (t) => {
  const advance = fakeTimers(t)
  const { fn, calls } = flaky(5)
  const answer = retrying(fn, { attempts: 6, baseMs: 100, maxMs: 800, jitter: true })
  await settle()
  for (const [n, pause] of [[2, 100], [3, 200], [4, 400], [5, 800], [6, 800]]) {
    await advance(pause)
    t.equal(calls.length, n, `attempt ${n} within ${pause} ms`)
  }
  t.equal(await answer, 'done')
})

t.test('an abort during a pause answers at once with its reason, and starts no other attempt', async (t) => {
  const advance = fakeTimers(t)
  const { fn, calls } = flaky(10)
  const controller = new AbortController()
  const answer = retrying(fn, { attempts: Infinity, baseMs: 1000, signal: controller.signal })
  await settle()
  const stopped = new Error('stopped')
  controller.abort(stopped)
  await t.rejects(answer, stopped)
  await advance(1000)
  t.same(calls, [1], 'the pause ran out and started nothing')
})

t.test('an abort before the start runs nothing', async (t) => {
  const { fn, calls } = flaky(0)
  const stopped = new Error('stopped')
  await t.rejects(retrying(fn, { attempts: 3, signal: AbortSignal.abort(stopped) }), stopped)
  await settle()
  t.same(calls, [])
})

t.test('fewer than one attempt is a programming error', async (t) => {
  t.throws(() => retrying(async () => 1, { attempts: 0 }), RangeError)
  t.throws(() => retrying(async () => 1, { attempts: Number.NaN }), RangeError)
})

t.test('CONFLICT_RETRY: a wrong expected revision is tried again, 5 attempts in all; a broken rule is not', async (t) => {
  const advance = fakeTimers(t)
  let attempts = 0
  const conflicting = retrying(async () => {
    attempts++
    throw new WrongExpectedRevision('learner-L-1', attempts - 1, attempts)
  }, CONFLICT_RETRY)
  const outcome = conflicting.catch((error: unknown) => error)
  await settle()
  // The pauses are at most 10, 20, 40 and 80 ms.
  for (const pause of [10, 20, 40, 80]) await advance(pause)
  t.match(await outcome, { name: 'WrongExpectedRevision', actual: 5 }, 'the last conflict is the answer')
  t.equal(attempts, 5)

  let ruleAttempts = 0
  const rule = retrying(async () => {
    ruleAttempts++
    throw new RuleViolation('cohort-full', 'the cohort is full')
  }, CONFLICT_RETRY)
  await t.rejects(rule, { code: 'cohort-full' })
  t.equal(ruleAttempts, 1)
})
