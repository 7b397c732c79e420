/**
 * Builds the HTTP app without listening: tests call `app.inject`, serve.ts calls `listen`.
 * The infrastructure plugins go first, in dependency order, then the routes; each route plugin
 * is registered in its own encapsulated context (as fastify does for any plugin), so a hook it
 * adds applies to its own routes only.
 */
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify'
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import { version } from '../../package.json'
import type { KeyRing } from '../auth/keys'
import type { Config } from '../config'
import { authPlugin } from './plugins/auth'
import { closingPlugin } from './plugins/closing'
import { docsPlugin } from './plugins/docs'
import { errorsPlugin } from './plugins/errors'
import { healthPlugin, type Readiness } from './plugins/health'
import { genReqId, loggerOptions, loggingPlugin, RequestLogs } from './plugins/logging'
import { edgeErrorOptions, securityPlugin } from './plugins/security'

/** api.md: JSON bodies up to 1 MiB; a route that takes more (imports) sets its own bodyLimit. */
export const JSON_BODY_LIMIT = 1024 * 1024

export interface AppDeps {
  config: Config
  keys: KeyRing
  readiness: Readiness
  routes: FastifyPluginAsync[]
  /** false: silent (tests); true or absent: pino at config.logLevel; an object: pino options on top. */
  logger?: boolean | object
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps
  const app = Fastify({
    logger: deps.logger === false ? false : loggerOptions(config, typeof deps.logger === 'object' ? deps.logger : {}),
    // Successful requests at debug, refused ones at info, failed ones at warn (logging.ts).
    logController: new RequestLogs(),
    genReqId,
    requestIdHeader: false,
    bodyLimit: JSON_BODY_LIMIT,
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.connectionTimeoutMs,
    // Behind a proxy the client address would be the proxy's; trusting X-Forwarded-For by
    // default would let any client pick the address the rate limit counts against.
    trustProxy: false,
    // closingPlugin answers these in the service's error shape instead.
    return503OnClosing: false,
    // And these answers fastify makes before any hook (431, a path parameter too long).
    ...edgeErrorOptions,
  })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  // Without this, a text/plain body reaches the JSON schema as a string and answers 400;
  // 415 says what is actually wrong. Routes that take text (CSV, NDJSON) add their own parser.
  app.removeContentTypeParser('text/plain')

  await app.register(loggingPlugin)
  await app.register(errorsPlugin)
  await app.register(closingPlugin)
  await app.register(authPlugin, { keys: deps.keys })
  await app.register(securityPlugin, { rateLimitPerMinute: config.rateLimitPerMinute })
  if (config.docsEnabled) await app.register(docsPlugin, { version })
  await app.register(healthPlugin, { readiness: deps.readiness })
  for (const routes of deps.routes) await app.register(routes)
  return app
}
