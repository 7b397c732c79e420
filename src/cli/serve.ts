import { parseArgs } from 'node:util'
import type { Config } from '../config'
import { ensureDataDir } from '../config'
import { ensureKeysFile, loadKeys } from '../auth/keys'
import { buildApp } from '../http/app'
import { serviceRoutes } from '../http/routes'
import { openLedger } from './context'
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
  const ledger = await openLedger(config)
  const app = await buildApp({
    config,
    keys,
    routes: serviceRoutes(ledger),
    readiness: async () => {
      const checks: Record<string, unknown> = { store: ledger.store.kind, position: ledger.runner.position }
      try {
        await ledger.store.ping()
        const head = await ledger.store.headPosition()
        checks.head = head
        checks.storeReachable = true
        return { ready: ledger.runner.caughtUp && ledger.runner.position >= head, checks }
      } catch {
        checks.storeReachable = false
        return { ready: false, checks }
      }
    },
  })
  await app.listen({ port: config.port, host: config.host })

  let closing = false
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
