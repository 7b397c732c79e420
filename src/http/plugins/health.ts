/**
 * Liveness and readiness probes: public, and exempt from the rate limit, because a probe
 * answered 429 would get a healthy instance restarted or taken out of rotation.
 */
import fp from 'fastify-plugin'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { ErrorBody } from '../schemas'

export type Readiness = () => Promise<{ ready: boolean; checks: Record<string, unknown> }>

const Ready = z.object({ status: z.enum(['ready', 'not-ready']), checks: z.record(z.string(), z.unknown()) })

export const healthPlugin = fp<{ readiness: Readiness }>(
  async (base, { readiness }) => {
    const app = base.withTypeProvider<ZodTypeProvider>()
    const config = { rateLimit: false } as const

    app.get('/health/live', {
      config,
      schema: { tags: ['operations'], summary: 'The process is up', response: { 200: z.object({ status: z.literal('ok') }) } },
    }, async () => ({ status: 'ok' as const }))

    app.get('/health/ready', {
      config,
      schema: {
        tags: ['operations'],
        summary: 'The store is reachable and the projections caught up',
        // 503: not ready, or (error shape) shutting down: the closing hook answers before the route.
        response: { 200: Ready, 503: z.union([Ready, ErrorBody]) },
      },
    }, async (request, reply) => {
      try {
        const { ready, checks } = await readiness()
        return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', checks })
      } catch (err) {
        request.log.error({ err }, 'readiness check failed')
        return reply.code(503).send({ status: 'not-ready', checks: { error: 'readiness check failed' } })
      }
    })
  },
  { name: 'ledger-health', fastify: '5.x' },
)
