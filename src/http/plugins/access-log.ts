/**
 * Who read learner-level data: every answer to a learner, roster or audit read made with an
 * auditor or admin key is logged (who, what, when) at info level, with the ids the request
 * named. Law 09-08 asks that access to personal data be traceable; operators reading their own
 * learners are the normal course of their work and are not logged here. The log line holds ids
 * only, never the data that was answered.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

const LOGGED_ROLES: ReadonlySet<string> = new Set(['auditor', 'admin'])

/** Is this route one that answers learner-level data? `url` is the route pattern, not the path. */
export function isLearnerDataRoute(method: string, url: string | undefined): boolean {
  if (url === undefined) return false
  if (url.startsWith('/v1/audit/')) return true
  if (method !== 'GET') return false
  return url === '/v1/learners/:learnerId' || url.startsWith('/v1/learners/:learnerId/') || url === '/v1/cohorts/:cohortId/roster'
}

function idsOf(request: FastifyRequest): { learnerId?: string; cohortId?: string } {
  const params = (request.params ?? {}) as Record<string, unknown>
  const ids: { learnerId?: string; cohortId?: string } = {}
  if (typeof params.learnerId === 'string') ids.learnerId = params.learnerId
  if (typeof params.cohortId === 'string') ids.cohortId = params.cohortId
  return ids
}

async function logAccess(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const actor = request.actor
  if (!actor || !LOGGED_ROLES.has(actor.role)) return
  const route = request.routeOptions.url
  if (!isLearnerDataRoute(request.method, route)) return
  request.log.info({
    audit: 'learner-data-access',
    keyId: actor.keyId,
    role: actor.role,
    method: request.method,
    route,
    ...idsOf(request),
    statusCode: reply.statusCode,
    at: new Date().toISOString(),
  }, 'learner data accessed')
}

/**
 * The hook is attached to the learner-data routes only (they are known when declared), so that
 * the many other answers (indicators above all) do not run it at all.
 */
export const accessLogPlugin = fp(
  async (app) => {
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method]
      if (!methods.some((method) => isLearnerDataRoute(method, route.url))) return
      const own = route.onResponse === undefined ? [] : Array.isArray(route.onResponse) ? route.onResponse : [route.onResponse]
      route.onResponse = [...own, logAccess]
    })
  },
  { name: 'ledger-access-log', fastify: '5.x' },
)
