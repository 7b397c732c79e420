import { Writable } from 'node:stream'
import type { EventStore } from '../../src/store/types'
import { harness, type Harness } from '../support/harness'

/** What an error answer must never carry: stack frames, file paths, driver or runtime messages. */
export const LEAK = /\bat \S+ \(|\.[cm]?[jt]s:\d+|node_modules|\/work\/|\/tmp\/|SQLITE|better-sqlite|database disk image|TypeError|RangeError|ReferenceError|ZodError|Unexpected token|"stack"/i


export interface LoggedHarness extends Harness {
  /** Every log line the app wrote, parsed. */
  logs: Array<Record<string, unknown>>
}

/**
 * The harness's full service, but logging at info into memory, so a test can read what was
 * logged; `store` swaps the SQLite store (a store that fails on purpose).
 */
export async function loggedHarness(
  t: { teardown(fn: () => unknown): void },
  options: { env?: Record<string, string>; store?: (dataDir: string) => EventStore } = {},
): Promise<LoggedHarness> {
  const logs: Array<Record<string, unknown>> = []
  let pending = ''
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      pending += chunk.toString('utf8')
      const lines = pending.split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) if (line.trim() !== '') logs.push(JSON.parse(line) as Record<string, unknown>)
      done()
    },
  })
  const h = await harness(t, {
    env: { LOG_LEVEL: 'info', LEDGER_RATE_LIMIT: '1000000', ...options.env },
    makeStore: options.store,
    logger: { stream },
  })
  return { ...h, logs }
}
