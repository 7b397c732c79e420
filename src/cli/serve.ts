import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pino from 'pino'
import type { Config } from '../config'
import { ensureDataDir } from '../config'
import { ensureKeysFile, loadKeys } from '../auth/keys'
import { buildApp } from '../http/app'
import { serviceRoutes } from '../http/routes'
import { loadPepper, personKey } from '../auth/pepper'
import { createLedger, type Ledger } from '../app/ledger'
import { ledgerReadiness } from '../app/readiness'
import { loggerOptions } from '../http/plugins/logging'
import { openStore } from '../store/open'
import { openPersonalKeys } from '../privacy'
import { planProgramme, runSimulation } from '../app/simulate'

const SHUTDOWN_GRACE_MS = 10_000
const DEMO_LEARNERS = 1000

/**
 * `placement-ledger serve [--demo]`: listens, follows the log, and closes cleanly on SIGTERM:
 * stop accepting, finish in-flight requests, stop the projections, close the store.
 */
export async function serve(args: string[], config: Config): Promise<number> {
  const { values } = parseArgs({ args, options: { demo: { type: 'boolean', default: false } }, strict: true })
  ensureDataDir(config)
  const created = ensureKeysFile(config.keysFile)
  if (created.adminKey) {
    process.stdout.write(`Created ${config.keysFile} with an admin key. It is shown once, keep it:\n\n  ${created.adminKey}\n\n`)
  }
  const keys = loadKeys(config.keysFile)
  const ledger = await openServiceLedger(config)
  const app = await buildApp({
    config,
    keys,
    routes: serviceRoutes(ledger),
    readiness: ledgerReadiness(ledger),
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

  if (values.demo) {
    if (ledger.runner.position === 0) {
      app.log.info({ learners: DEMO_LEARNERS }, 'demo: simulating a programme into the empty ledger')
      const plan = planProgramme({ learners: DEMO_LEARNERS, seed: 1 })
      runSimulation(ledger.commands, plan, {})
        .then((summary) => app.log.info(summary, 'demo: programme simulated'))
        .catch((error) => app.log.error({ err: error }, 'demo: simulation failed'))
    } else {
      app.log.info('demo: the ledger already holds events; nothing simulated')
    }
  }
  return new Promise<number>(() => { /* runs until a signal */ })
}

/**
 * The ledger as the service runs it: with projection snapshots in `$LEDGER_DATA_DIR/snapshots`,
 * so a restart loads the last one the log confirms instead of folding the whole log, and a clean
 * shutdown (ledger.close) leaves a fresh one.
 */
async function openServiceLedger(config: Config): Promise<Ledger> {
  const pepper = loadPepper(config)
  const store = await openStore(config)
  const log = pino(loggerOptions(config) as pino.LoggerOptions)
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
