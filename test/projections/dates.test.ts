import t from 'tap'
import { addDays, addMonths, dayNumber, daysInMonth, quarterOf } from '../../projections/dates'

t.test('addDays crosses months, years and leap days', async (t) => {
  t.equal(addDays('2025-05-30', 180), '2025-11-26')
  t.equal(addDays('2025-12-31', 1), '2026-01-01')
  t.equal(addDays('2024-02-28', 1), '2024-02-29')
  t.equal(addDays('2025-02-28', 1), '2025-03-01')
  t.equal(addDays('2025-03-01', -1), '2025-02-28')
  t.equal(addDays('2025-06-15', 0), '2025-06-15')
})

t.test('addDays does not read years below 100 as 19xx', async (t) => {
  t.equal(addDays('0050-01-01', 1), '0050-01-02')
})

t.test('addMonths clamps the day to the end of the target month', async (t) => {
  t.equal(addMonths('2025-08-31', 6), '2026-02-28')
  t.equal(addMonths('2023-08-31', 6), '2024-02-29')
  t.equal(addMonths('2025-03-31', 6), '2025-09-30')
  t.equal(addMonths('2025-01-15', 6), '2025-07-15')
  t.equal(addMonths('2025-07-31', 6), '2026-01-31')
  t.equal(addMonths('2025-11-30', 3), '2026-02-28')
  t.equal(addMonths('2025-03-15', -3), '2024-12-15')
})

t.test('daysInMonth knows the Gregorian leap rule', async (t) => {
  t.equal(daysInMonth(2024, 2), 29)
  t.equal(daysInMonth(1900, 2), 28)
  t.equal(daysInMonth(2000, 2), 29)
  t.equal(daysInMonth(2025, 4), 30)
  t.equal(daysInMonth(2025, 12), 31)
})

t.test('quarterOf names the calendar quarter', async (t) => {
  t.equal(quarterOf('2025-01-01'), '2025-Q1')
  t.equal(quarterOf('2025-03-31'), '2025-Q1')
  t.equal(quarterOf('2025-04-01'), '2025-Q2')
  t.equal(quarterOf('2025-09-30'), '2025-Q3')
  t.equal(quarterOf('2025-12-31'), '2025-Q4')
})

t.test('dayNumber counts days since 1970-01-01, like Date.UTC, for every day of several years', async (t) => {
  t.equal(dayNumber('1970-01-01'), 0)
  t.equal(dayNumber('1969-12-31'), -1)
  let mismatches = 0
  for (let d = '1999-01-01'; d <= '2031-12-31'; d = addDays(d, 1)) {
    if (dayNumber(d) !== Date.parse(`${d}T00:00:00Z`) / 86_400_000) mismatches++
  }
  t.equal(mismatches, 0)
  t.equal(dayNumber('2025-11-26') - dayNumber('2025-05-30'), 180)
})
