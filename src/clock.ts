/** The service's one clock, injected so tests can pin it. */
export interface Clock {
  now(): Date
}
export const systemClock: Clock = { now: () => new Date() }

const casablancaDate = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Africa/Casablanca', year: 'numeric', month: '2-digit', day: '2-digit',
})

/** Today's business date: business dates are read in Africa/Casablanca. */
export function businessToday(clock: Clock): string {
  return casablancaDate.format(clock.now())
}
