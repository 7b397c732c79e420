/**
 * Business-date arithmetic on `YYYY-MM-DD` strings, through whole days so no time zone or
 * daylight-saving shift can move a date. Nothing here reads the clock. Plain integer civil-date
 * conversions (H. Hinnant's days_from_civil / civil_from_days) rather than `Date`: a large plan
 * does millions of them, and parsing and formatting through `Date` dominated its cost.
 */

/** Days since 1970-01-01 of a proleptic Gregorian date (years 0 to 9999). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

export function civilFromDays(days: number): [year: number, month: number, day: number] {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day]
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`)

/** Days since 1970-01-01. */
export function dayNumber(date: string): number {
  return daysFromCivil(Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10)))
}

export function dateOfDay(days: number): string {
  const [y, m, d] = civilFromDays(days)
  return `${String(y).padStart(4, '0')}-${pad2(m)}-${pad2(d)}`
}

export const addDays = (date: string, days: number): string => dateOfDay(dayNumber(date) + days)

export const daysBetween = (from: string, to: string): number => dayNumber(to) - dayNumber(from)

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
const monthLength = (y: number, m: number) => (m === 2 ? (isLeap(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31)

/** The same day `months` later, or the month's last day when it has no such day (31 Jan + 1 = 28/29 Feb). */
export function addMonths(date: string, months: number): string {
  const index = Number(date.slice(5, 7)) - 1 + months
  const year = Number(date.slice(0, 4)) + Math.floor(index / 12)
  const month = (((index % 12) + 12) % 12) + 1
  const day = Math.min(Number(date.slice(8, 10)), monthLength(year, month))
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`
}

export const yearOf = (date: string): number => Number(date.slice(0, 4))

export const maxDate = (a: string, b: string): string => (a >= b ? a : b)
