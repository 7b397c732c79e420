/**
 * Authentication and role checks.
 *
 * How a route says who may call it: `config: { roles: ['operator', 'auditor'] }` in its route
 * options. `admin` may do everything (api.md), so it is always allowed and need not be listed;
 * `roles: []` means admin only. A route without `roles` is public (health, docs, /openapi.json,
 * the dashboard); a route under /v1 without `roles` is refused at start-up, so forgetting the
 * option fails closed. Operator ownership (own learners and cohorts) is the route's check.
 *
 * `request.actor` is set from `Authorization: Bearer <key>` on every request (undefined without
 * a valid key). Roles are enforced in preParsing: after the rate limit (so refused requests
 * count), before the body is read (so no one without a key makes us parse 64 MiB). A 401 to a
 * request with a body closes the connection (`connection: close`), so that the body is not
 * read after the answer either.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { Role, type Actor } from '../../../events'
import { actorFor, type KeyRing } from '../../auth/keys'
import { forbidden, LedgerError } from '../../errors'

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, from a valid API key; undefined on public routes called without one. */
    actor: Actor | undefined
  }
  interface FastifyContextConfig {
    /** Who may call this route besides admin; absent: public. */
    roles?: readonly Role[]
  }
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i

function unauthorized(reply: FastifyReply, presented: boolean): LedgerError {
  reply.header('www-authenticate', presented ? 'Bearer realm="placement-ledger", error="invalid_token"' : 'Bearer realm="placement-ledger"')
  return new LedgerError(401, 'unauthorized', presented ? 'the API key is not valid' : 'an API key is required: Authorization: Bearer <key>')
}

/** Whether the request announces a body (a length above zero, or chunks) not read yet. */
function bodyPending(request: FastifyRequest): boolean {
  const length = request.headers['content-length']
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
}

/** Why the caller may not call this route (401 or 403), or undefined when it may. */
function refusalOf(request: FastifyRequest, reply: FastifyReply): LedgerError | undefined {
  const roles = request.routeOptions.config.roles
  if (roles === undefined) return undefined
  const actor = request.actor
  if (actor === undefined) return unauthorized(reply, request.headers.authorization !== undefined)
  if (actor.role !== 'admin' && !roles.includes(actor.role)) return forbidden(`a ${actor.role} key may not call ${request.method} ${request.routeOptions.url}`)
  return undefined
}

export const authPlugin = fp<{ keys: KeyRing }>(
  async (app, { keys }) => {
    app.decorateRequest('actor', undefined)

    app.addHook('onRoute', (route) => {
      const roles = route.config?.roles
      if (roles === undefined) {
        if (route.url.startsWith('/v1/') || route.url === '/v1') {
          throw new Error(`route ${String(route.method)} ${route.url} declares no config.roles; every /v1 route must`)
        }
        return
      }
      for (const role of roles) {
        if (!Role.safeParse(role).success) throw new Error(`route ${String(route.method)} ${route.url} names an unknown role '${role}'`)
      }
    })

    // Callback hooks, not async ones: they run on every request, and spare a promise each.
    app.addHook('onRequest', (request, _reply, done) => {
      const refreshed = keys.refresh()
      if (refreshed.error) request.log.warn({ err: refreshed.error }, 'keys file not reloaded; the previous keys stay in force')
      const match = BEARER.exec(request.headers.authorization ?? '')
      let entry = match ? keys.authenticate(match[1]) : undefined
      // A key unknown here may have been added a moment ago (`keys add`): look at the file now.
      if (match && entry === undefined && keys.refresh(true).reloaded) entry = keys.authenticate(match[1])
      request.actor = entry ? actorFor(entry) : undefined
      done()
    })

    app.addHook('preParsing', (request, reply, payload, done) => {
      const refusal = refusalOf(request, reply)
      if (refusal === undefined) return done(null, payload)
      // Nothing of the body has been read yet. Kept alive, the connection would make Node read
      // (and discard) all of it after the answer, however big, so that the next request could
      // follow: a caller without a key could keep us reading for as long as it liked. Closed
      // instead: Node stops reading once the answer is written.
      if (refusal.statusCode === 401 && bodyPending(request)) reply.header('connection', 'close')
      done(refusal)
    })
  },
  { name: 'ledger-auth', fastify: '5.x' },
)
