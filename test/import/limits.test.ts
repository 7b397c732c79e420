import t from 'tap'
import { ImportGate, ImportRefused, type ImportLimits } from '../../src/write/import'
import { manualClock } from '../support/harness'

const LIMITS: ImportLimits = { rowsPerMinute: 600, dryRunRowsPerHour: 360, atOnce: 2 }

const gate = (limits: Partial<ImportLimits> = {}) => {
  const clock = manualClock()
  return { gate: new ImportGate({ ...LIMITS, ...limits }, clock), clock }
}

/** The refusal `run` throws, as the route answers it. */
function refusal(run: () => unknown) {
  try {
    run()
  } catch (error) {
    if (!(error instanceof ImportRefused)) throw error
    return { statusCode: error.statusCode, code: error.code, retryAfter: error.retryAfterSeconds }
  }
  throw new Error('not refused')
}

t.test('a key runs one import at a time, the service `atOnce`; a release frees the slot, once', async (t) => {
  const { gate: g } = gate()
  const first = g.admit('op1', false)
  t.same(refusal(() => g.admit('op1', false)), { statusCode: 429, code: 'import-in-progress', retryAfter: 10 })
  t.same(refusal(() => g.admit('op1', true)), { statusCode: 429, code: 'import-in-progress', retryAfter: 10 }, 'a dry run too')
  const second = g.admit('op2', true)
  t.same(refusal(() => g.admit('admin', false)), { statusCode: 503, code: 'imports-busy', retryAfter: 10 })
  t.equal(g.active, 2)
  first()
  first()
  t.equal(g.active, 1, 'releasing twice frees one slot')
  const third = g.admit('admin', false)
  t.same(refusal(() => g.admit('op1', false)), { statusCode: 503, code: 'imports-busy', retryAfter: 10 })
  second()
  third()
  t.equal(g.active, 0)
})

t.test('rows: a file may overdraw the per-minute budget once; the next import waits until it is positive again', async (t) => {
  const { gate: g, clock } = gate()
  const run = (rows: number) => {
    const release = g.admit('op1', false)
    try {
      g.charge('op1', rows, false)
    } finally {
      release()
    }
  }
  run(500)
  run(1000)
  // 600 - 500 - 1000 = -900: 10 rows a second refill it, and it must be above zero.
  t.same(refusal(() => g.admit('op1', false)), { statusCode: 429, code: 'import-rows-limit', retryAfter: 91 })
  t.doesNotThrow(() => g.admit('op2', false)(), 'another key has its own budget')
  clock.advance(90_000)
  t.same(refusal(() => g.admit('op1', false)), { statusCode: 429, code: 'import-rows-limit', retryAfter: 1 }, 'at zero, still refused')
  clock.advance(1_000)
  t.doesNotThrow(() => g.admit('op1', false)(), 'positive again')
  clock.advance(3_600_000)
  run(600)
  t.same(refusal(() => g.admit('op1', false)), { statusCode: 429, code: 'import-rows-limit', retryAfter: 1 }, 'an hour idle refills a minute, no more')
})

t.test('dry runs: their own hourly budget, never overdrawn; too large is 413; a refused file is not charged', async (t) => {
  const { gate: g, clock } = gate()
  const dry = (rows: number) => {
    const release = g.admit('op1', true)
    try {
      g.charge('op1', rows, true)
    } finally {
      release()
    }
  }
  t.same(refusal(() => dry(361)), { statusCode: 413, code: 'dry-run-too-large', retryAfter: undefined })
  dry(300)
  // 60 rows left; 100 wanted: 40 more, at 360 an hour (one per 10 s).
  t.same(refusal(() => dry(100)), { statusCode: 429, code: 'dry-run-rows-limit', retryAfter: 400 })
  dry(60)
  t.same(refusal(() => g.admit('op1', true)), { statusCode: 429, code: 'dry-run-rows-limit', retryAfter: 10 }, 'nothing left: refused before the body is read')
  t.doesNotThrow(() => g.admit('op1', false)(), 'a real import still may')
  clock.advance(400_000)
  dry(40)
  t.same(refusal(() => dry(1)), { statusCode: 429, code: 'dry-run-rows-limit', retryAfter: 10 })

  const rows = gate({ dryRunRowsPerHour: 10_000 }).gate
  const release = rows.admit('op1', true)
  rows.charge('op1', 700, true)
  release()
  t.same(refusal(() => rows.admit('op1', true)), { statusCode: 429, code: 'import-rows-limit', retryAfter: 11 }, 'dry-run rows count against the per-minute budget too')
})

t.test('dry runs can be turned off', async (t) => {
  const { gate: g } = gate({ dryRunRowsPerHour: 0 })
  t.same(refusal(() => g.admit('op1', true)), { statusCode: 403, code: 'dry-run-disabled', retryAfter: undefined })
  t.equal(g.active, 0)
  t.doesNotThrow(() => g.admit('op1', false)())
})

t.test('a clock that steps back refills nothing', async (t) => {
  const { gate: g, clock } = gate()
  const release = g.admit('op1', false)
  g.charge('op1', 1200, false)
  release()
  clock.advance(-3_600_000)
  t.same(refusal(() => g.admit('op1', false)), { statusCode: 429, code: 'import-rows-limit', retryAfter: 61 })
})
