/**
 * Calendar arithmetic on business dates (`YYYY-MM-DD`). A business date is a calendar day, not an
 * instant, so everything here is plain day arithmetic in UTC: no local timezone can shift a day.
 * Dates compare correctly as strings, which is how the projections compare them.
 */

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`)
const pad4 = (n: number) => `${n}`.padStart(4, '0')

function parts(date: string): [number, number, number] {
  return [Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10))]
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
}

/** Days in month `m` (1..12) of year `y`. */
export function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31
}

/** `date` plus `days` calendar days (negative goes back). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = parts(date)
  // setUTCFullYear, unlike Date.UTC, does not read years 0..99 as 1900..1999.
  const t = new Date(0)
  t.setUTCFullYear(y, m - 1, d + days)
  return `${pad4(t.getUTCFullYear())}-${pad2(t.getUTCMonth() + 1)}-${pad2(t.getUTCDate())}`
}

/**
 * `date` plus `months` calendar months, the day clamped to the target month's last day:
 * 2025-08-31 + 6 months = 2026-02-28, and 2023-08-31 + 6 months = 2024-02-29.
 */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = parts(date)
  const index = y * 12 + (m - 1) + months
  const y2 = Math.floor(index / 12)
  const m2 = index - y2 * 12 + 1
  const d2 = Math.min(d, daysInMonth(y2, m2))
  return `${pad4(y2)}-${pad2(m2)}-${pad2(d2)}`
}

/** The calendar quarter of a date, as figures name it: `2025-05-10` -> `2025-Q2`. */
export function quarterOf(date: string): string {
  const m = Number(date.slice(5, 7))
  return `${date.slice(0, 4)}-Q${Math.floor((m - 1) / 3) + 1}`
}

/**
 * A date as its day number: days since 1970-01-01 (Hinnant's days_from_civil). A small integer,
 * so the hot loops compare and add days without reading a string or allocating.
 */
export function dayNumber(date: string): number {
  const c = (i: number) => date.charCodeAt(i) - 48
  const m = c(5) * 10 + c(6)
  const d = c(8) * 10 + c(9)
  const y = c(0) * 1000 + c(1) * 100 + c(2) * 10 + c(3) - (m <= 2 ? 1 : 0)
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/** The year of a date, as a number. */
export function yearOf(date: string): number {
  return Number(date.slice(0, 4))
}
