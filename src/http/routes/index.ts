import type { FastifyPluginAsync } from 'fastify'
import fp from 'fastify-plugin'
import type { Ledger } from '../../ledger'
import { IndicatorService } from '../../read/indicators'
import { accessLogPlugin } from '../plugins/access-log'
import { auditRoutes } from './audit'
import { positionHeader } from './common'
import { dashboardRoutes } from './dashboard'
import { erasureRoutes } from './erasure'
import { importRoutes, type ImportConfig } from './imports'
import { indicatorRoutes } from './indicators'
import { readRoutes } from './reads'
import { reportRoutes } from './reports'
import { writeRoutes } from './writes'

/**
 * Every route of the service, as plugins for buildApp; each answer carries X-Ledger-Position.
 * `config`: the import limits and the data directory the import spools to.
 */
export function serviceRoutes(ledger: Ledger, config: ImportConfig): FastifyPluginAsync[] {
  const indicators = new IndicatorService(ledger)
  // fastify-plugin: the hook must reach the routes registered by the sibling plugins.
  const header = fp(async (app) => {
    const setHeader = positionHeader(ledger)
    app.addHook('onSend', async (request, reply) => {
      if (request.url.startsWith('/v1/')) await setHeader(request, reply)
    })
  }, { name: 'ledger-position-header' })
  return [header, accessLogPlugin, writeRoutes(ledger), readRoutes(ledger), indicatorRoutes(ledger, indicators),
    auditRoutes(ledger), reportRoutes(ledger), dashboardRoutes(), importRoutes(ledger, config), erasureRoutes(ledger)]
}
