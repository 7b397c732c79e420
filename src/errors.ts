/**
 * The one catalogue of errors the service answers with. Each has a stable `code` clients can
 * branch on and the HTTP status it maps to; the HTTP error handler turns them into
 * `{statusCode, code, message, details?}`.
 */
export class LedgerError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
    this.name = 'LedgerError'
  }
}

/** A domain rule broken: 409 with the rule's code; nothing is written. */
export class RuleViolation extends LedgerError {
  constructor(code: string, message: string, details?: unknown) {
    super(409, code, message, details)
    this.name = 'RuleViolation'
  }
}

export class WrongExpectedRevision extends LedgerError {
  constructor(readonly streamId: string, readonly expected: number, readonly actual: number) {
    super(409, 'wrong-expected-revision', `stream ${streamId} is at revision ${actual}, not ${expected}`, { expected, actual })
    this.name = 'WrongExpectedRevision'
  }
}

export class DuplicateEventId extends LedgerError {
  constructor(message: string, readonly eventId?: string) {
    super(409, 'duplicate-event-id', message, eventId ? { eventId } : undefined)
    this.name = 'DuplicateEventId'
  }
}

export class StoreUnavailable extends LedgerError {
  constructor(message = 'the event store cannot be reached; nothing was written') {
    super(503, 'store-unavailable', message)
    this.name = 'StoreUnavailable'
  }
}

export const notFound = (what: string) => new LedgerError(404, 'not-found', `${what} not found`)
export const forbidden = (message = 'this key may not do that') => new LedgerError(403, 'forbidden', message)
export const badRequest = (message: string, details?: unknown) => new LedgerError(400, 'validation', message, details)
