import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import type { Config } from '../config'
import { ensureDataDir } from '../config'
import { ensureKeysFile, loadKeys } from '../auth/keys'
import { buildApp } from '../http/app'
import { serviceRoutes } from '../http/routes'
import { loadPepper, personKey } from '../auth/pepper'
import { createLedger, type Ledger } from '../ledger'
import { keyedEventIds } from '../write/import/event-id'
import { ledgerReadiness } from '../read/readiness'
import { loggerOptions, logsArePretty, prettyStream } from '../http/plugins/logging'
import { openStore } from '../store/open'
import { openReadyPersonalKeys } from '../store/keys'
import { parseStrict } from './args'
import { runDemo } from './demo'
import { USAGE } from './help'
import type { CliIo } from './output'

const SHUTDOWN_GRACE_MS = 10_000

/**
 * Only SIGTERM and SIGINT close gracefully, as they always have. close-with-grace would also
 * take these: an uncaught error would close the ledger, and so write a snapshot, from a state
 * nobody vouches for (a crash leaves the last good one, and the log, to start again from); a
 * listener on a real SIGSEGV, SIGBUS, SIGFPE or SIGILL would hang the process instead of letting
 * it die (Node's documentation on signal events); the others keep their default meaning.
 */
const NOT_HANDLED: closeWithGrace.AllEvents[] = [
  'uncaughtException', 'unhandledRejection', 'beforeExit',
  'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGABRT', 'SIGTRAP', 'SIGHUP', 'SIGQUIT', 'SIGUSR2',
]

/**
 * `placement-ledger serve [--demo]`: listens, follows the log, and closes cleanly on SIGTERM:
 * stop accepting, finish in-flight requests, stop the projections, close the store.
 */
export async function serve(args: string[], config: Config, io: CliIo): Promise<number> {
  let demo: boolean
  try {
    demo = parseStrict(args, { demo: { type: 'boolean' } }).values.demo === true
  } catch (error) {
    io.err.write(`serve: ${(error as Error).message} (${USAGE.serve})\n`)
    return 2
  }
  ensureDataDir(config)
  const created = ensureKeysFile(config.keysFile)
  if (created.adminKey) {
    io.out.write(`Created ${config.keysFile} with an admin key. It is shown once, keep it:\n\n  ${created.adminKey}\n\n`)
  }
  const keys = loadKeys(config.keysFile)
  // One destination for the app's lines and the ledger's, so both read the same on a terminal.
  const stream = logsArePretty(config.logFormat, Boolean(process.stdout.isTTY)) ? prettyStream() : undefined
  const log = stream === undefined ? pino(loggerOptions(config) as pino.LoggerOptions) : pino(loggerOptions(config) as pino.LoggerOptions, stream)
  const ledger = await openServiceLedger(config, log)
  const app = await buildApp({
    config,
    keys,
    routes: serviceRoutes(ledger, config),
    readiness: ledgerReadiness(ledger),
    logger: stream === undefined ? {} : { stream },
  })
  await app.listen({ port: config.port, host: config.host })

  closeOnSignal(app, ledger)

  if (demo) {
    // performance.now() counts from the process's start: "how long it took" is what the user waited.
    void runDemo({ ledger, log: app.log, url: browsableUrl(app.server.address()), clock: () => performance.now(), startedAt: 0 })
  }
  return new Promise<number>(() => { /* runs until a signal */ })
}

/**
 * SIGTERM or SIGINT: stop accepting, finish in-flight requests (closing.ts), stop the
 * projections, close the store, exit 0. A second signal, or the grace period running out,
 * exits 1 at once; so does a failure while closing. Each step's log line carries a stable
 * `event`, for whoever watches the logs (and the tests): its message is for people.
 */
function closeOnSignal(app: FastifyInstance, ledger: Ledger): void {
  closeWithGrace({
    delay: SHUTDOWN_GRACE_MS,
    logger: false,
    skip: NOT_HANDLED,
    onSecondSignal: (signal) => app.log.warn({ event: 'second-signal', signal }, 'second signal: exiting now'),
    onTimeout: (graceMs) => app.log.error({ event: 'shutdown-timeout', graceMs }, 'shutdown took too long: exiting'),
  }, async ({ signal }) => {
    app.log.info({ event: 'shutting-down', signal }, 'shutting down')
    try {
      await app.close()
      await ledger.close()
    } catch (error) {
      app.log.error({ event: 'shutdown-failed', err: error }, 'shutdown failed')
      throw error
    }
  })
}

/** The address as a person opens it: a wildcard address (0.0.0.0, ::) is reached as localhost. */
export function browsableUrl(address: AddressInfo | string | null): string {
  if (address === null || typeof address === 'string') return String(address)
  const host = address.address === '0.0.0.0' || address.address === '::' ? 'localhost'
    : address.family === 'IPv6' ? `[${address.address}]` : address.address
  return `http://${host}:${address.port}`
}

/**
 * The ledger as the service runs it: with projection snapshots in `$LEDGER_DATA_DIR/snapshots`,
 * so a restart loads the last one the log confirms instead of folding the whole log, and a clean
 * shutdown (ledger.close) leaves a fresh one.
 */
async function openServiceLedger(config: Config, log: pino.Logger): Promise<Ledger> {
  const pepper = loadPepper(config)
  const store = await openStore(config)
  const ledger = createLedger({
    store,
    personKey: (nationalId) => personKey(pepper, nationalId),
    importEventId: keyedEventIds(pepper),
    personalKeys: await openReadyPersonalKeys(config, pepper),
    snapshots: {
      dir: join(config.dataDir, 'snapshots'),
      log: { info: (details, message) => log.info(details, message), warn: (details, message) => log.warn(details, message) },
    },
  })
  await ledger.start()
  return ledger
}
