import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import pino from 'pino'
import type { Config } from '../config'
import { ensureDataDir } from '../config'
import { ensureKeysFile, loadKeys } from '../auth/keys'
import { buildApp } from '../http/app'
import { serviceRoutes } from '../http/routes'
import { loadPepper, personKey } from '../auth/pepper'
import { createLedger, type Ledger } from '../app/ledger'
import { ledgerReadiness } from '../app/readiness'
import { loggerOptions, logsArePretty, prettyStream } from '../http/plugins/logging'
import { openStore } from '../store/open'
import { openPersonalKeys } from '../privacy'
import { parseStrict } from './args'
import { runDemo } from './demo'
import { USAGE } from './help'
import type { CliIo } from './output'

const SHUTDOWN_GRACE_MS = 10_000

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
    routes: serviceRoutes(ledger),
    readiness: ledgerReadiness(ledger),
    logger: stream === undefined ? {} : { stream },
  })
  await app.listen({ port: config.port, host: config.host })

  let closing = false
  // server.close() closes only the connections idle at that moment: a keep-alive connection
  // whose request is still in flight stays open after its answer, and close() would wait for
  // the client to hang up (or the 72 s keep-alive timeout), past the grace period. So while
  // closing, each connection is closed as soon as its answer has gone.
  app.server.on('request', (_request, response) => {
    response.on('finish', () => {
      if (closing) setImmediate(() => app.server.closeIdleConnections())
    })
  })
  const shutdown = (signal: string) => {
    if (closing) {
      app.log.warn({ signal }, 'second signal: exiting now')
      process.exit(1)
    }
    closing = true
    app.log.info({ signal }, 'shutting down')
    const force = setTimeout(() => {
      app.log.error('shutdown took too long: exiting')
      process.exit(1)
    }, SHUTDOWN_GRACE_MS)
    force.unref()
    app.close()
      .then(() => ledger.close())
      .then(() => process.exit(0), (error) => {
        app.log.error({ err: error }, 'shutdown failed')
        process.exit(1)
      })
  }
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  process.on('SIGINT', () => shutdown('SIGINT'))

  if (demo) {
    // performance.now() counts from the process's start: "how long it took" is what the user waited.
    void runDemo({ ledger, log: app.log, url: browsableUrl(app.server.address()), clock: () => performance.now(), startedAt: 0 })
  }
  return new Promise<number>(() => { /* runs until a signal */ })
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
    personalKeys: openPersonalKeys(config, pepper),
    snapshots: {
      dir: join(config.dataDir, 'snapshots'),
      log: { info: (details, message) => log.info(details, message), warn: (details, message) => log.warn(details, message) },
    },
  })
  await ledger.start()
  return ledger
}
