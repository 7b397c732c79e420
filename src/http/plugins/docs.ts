/**
 * OpenAPI 3 document generated from the routes' zod schemas, served at GET /openapi.json, and
 * Swagger UI at /docs from the package's own assets (no CDN). Registered only when docs are
 * enabled; otherwise both answer 404.
 *
 * What the routes do not declare themselves is added here, once for all of them: routes with
 * `config.roles` get the bearer requirement and their 401/403/429 answers; every operation gets
 * the answers any request can meet whatever its route (refusals before routing, 500, 503 while
 * shutting down); an operation without an `operationId` gets one from its method and path. The
 * document's root says the default, no authentication, which the /v1 operations override, and
 * names the server as `/`: the origin that served the document, whatever proxy is in front.
 */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'
import { license } from '../../../package.json'
import { ERROR_DESCRIPTIONS } from '../schemas'

export const API_DESCRIPTION = `An auditable, event-sourced ledger of a training-to-employment programme.

Authenticate with \`Authorization: Bearer <key>\`. Each operation lists the roles that may call it; admin may call all.

Where the written contract is silent, this service chooses as follows:
- Every error answer is \`{statusCode, code, message, details?}\`. 400 \`validation\` carries the zod issues in \`details\` (each with \`code\`, \`path\`, \`message\`); its message names the part of the request at fault (body, querystring, params). Bodies and queries are strict: unknown fields are rejected.
- A body that is not JSON answers 400 \`invalid-json\` (also for an empty body where one is required); a content type the operation does not take answers 415 \`unsupported-media-type\`; an unknown route 404 \`not-found\`; an unexpected failure 500 \`internal\` with no detail (the cause is logged under the request id).
- 401 \`unauthorized\` comes with \`WWW-Authenticate: Bearer\`, before the body is read.
- The rate limit counts per API key, or per client address for requests without a valid key, and answers 429 \`rate-limited\` with \`Retry-After\` in seconds and \`x-ratelimit-*\` headers. The health endpoints are not limited.
- Every answer carries \`x-request-id\`: the caller's own when it sent a sane token (up to 128 of A-Z a-z 0-9 . _ : -), else a new UUID; writes record it as the events' correlationId.
- Keys added with \`placement-ledger keys add\`, or removed from the keys file, take effect within a second, without a restart.`

/**
 * package.json's licence. `UNLICENSED` (a private package, no licence granted) is no SPDX id
 * with a text of its own: the link says what the word means.
 */
const LICENSE = { name: license, url: 'https://docs.npmjs.com/cli/v10/configuring-npm/package-json#license' }

// ErrorBody is registered with id 'Error', so jsonSchemaTransformObject puts it in components.
const ErrorJson = (description: string) => ({ description, allOf: [{ $ref: '#/components/schemas/Error' }] })

/** The answers of a route that declares roles, unless it describes them itself. */
const SECURED_RESPONSES = [401, 403, 429] as const

/** The answers any operation can give, whatever its route, unless it describes them itself. */
const EVERY_OPERATION: Record<string, string> = {
  '4XX': 'refused before the route is reached: not valid HTTP, or a path that is not valid URL encoding (400 bad-request); not received in time (408 request-timeout); a path parameter over the router\'s limit (414 uri-too-long); request line and headers over the limit (431 headers-too-large)',
  500: 'an unexpected failure (code internal), with no detail: the cause is logged under the request id',
  503: 'the service is shutting down (code shutting-down) and did nothing with the request: send it again once it is back',
}

type Transform = Parameters<typeof jsonSchemaTransform>[0]

/** `getHealthLive` for GET /health/live: for an operation that declares no operationId. */
function operationIdOf(method: string, url: string): string {
  const words = url.split('/').filter((part) => part !== '').map((part) => (part.startsWith(':') ? `by-${part.slice(1)}` : part))
  const camel = [method.toLowerCase(), ...words].join('-').replace(/[^A-Za-z0-9]+([A-Za-z0-9])/g, (_, c: string) => c.toUpperCase())
  return camel.replace(/[^A-Za-z0-9]/g, '')
}

/** The type provider's transform, plus what this module's header says. */
function transform(input: Transform): ReturnType<typeof jsonSchemaTransform> {
  const out = jsonSchemaTransform(input)
  if (out.schema?.hide) return out
  const schema: Record<string, unknown> = { ...(out.schema ?? {}) }
  const response: Record<string, unknown> = { ...(schema.response as Record<string, unknown> | undefined) }
  const roles = input.route.config?.roles
  if (roles !== undefined) {
    for (const status of SECURED_RESPONSES) response[status] ??= ErrorJson(ERROR_DESCRIPTIONS[status])
    const allowed = ['admin', ...roles.filter((r) => r !== 'admin')].join(', ')
    const description = typeof schema.description === 'string' ? `${schema.description}\n\n` : ''
    Object.assign(schema, { security: [{ bearerAuth: [] }], description: `${description}Roles: ${allowed}.` })
  }
  for (const [status, description] of Object.entries(EVERY_OPERATION)) response[status] ??= ErrorJson(description)
  const method = [input.route.method].flat()[0]
  schema.operationId ??= operationIdOf(String(method), input.url)
  // A route that reads its body raw (no body schema) names the media types it takes.
  if (schema.body === undefined && Array.isArray(schema.consumes) && schema.consumes.length > 0) {
    schema.body = { type: 'string', description: 'the file, as the operation describes it' }
  }
  return { url: out.url, schema: { ...schema, response } }
}

type OpenApiObject = ReturnType<typeof jsonSchemaTransformObject>

const COMPONENT = '#/components/schemas/'

/** Every `$ref` to a component schema found in `value`. */
function refsIn(value: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const item of value) refsIn(item, into)
  else if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string' && child.startsWith(COMPONENT)) into.add(child.slice(COMPONENT.length))
      else refsIn(child, into)
    }
  }
  return into
}

/** OpenAPI 3.0's schema that accepts null and nothing else (3.0 has no null type). */
const nullSchema = () => ({ type: 'object', nullable: true, enum: [null] })

/**
 * Rewrites, in place, what the type provider writes that OpenAPI 3.0 reads otherwise than meant,
 * and returns what takes `node`'s place. `nullable` counts only beside a `type`: `A | B | null`
 * written `{anyOf: [A, B], nullable: true}`, or `A | null` written `{$ref: A, nullable: true}`,
 * would exclude null; the null schema joins the union instead. An `allOf` of one schema with
 * nothing beside it (a recursive schema's self-reference) is that schema.
 */
function as30(node: unknown): unknown {
  if (Array.isArray(node)) {
    node.forEach((item, i) => { node[i] = as30(item) })
    return node
  }
  if (!isObject(node)) return node
  for (const key of Object.keys(node)) node[key] = as30(node[key])
  const { allOf, anyOf, oneOf, nullable, type, description, ...rest } = node
  if (Array.isArray(allOf) && allOf.length === 1 && Object.keys(node).length === 1) return allOf[0]
  if (nullable !== true || type !== undefined) return node
  delete node.nullable
  if (Array.isArray(anyOf)) anyOf.push(nullSchema())
  else if (Array.isArray(oneOf)) oneOf.push(nullSchema())
  else return { ...(description === undefined ? {} : { description }), anyOf: [{ ...rest, ...(allOf === undefined ? {} : { allOf }) }, nullSchema()] }
  return node
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object'

/**
 * The type provider's document, as OpenAPI 3.0 (as30), less the component schemas nothing refers
 * to: it writes an input and an output copy of every schema registered with an id (`ErrorInput`
 * beside `Error`), and a document keeps only what it uses.
 */
function transformObject(input: Parameters<typeof jsonSchemaTransformObject>[0]): OpenApiObject {
  const doc = jsonSchemaTransformObject(input)
  as30(doc)
  if (!('components' in doc) || doc.components?.schemas === undefined) return doc
  const schemas = doc.components.schemas
  const { components: _, ...rest } = doc
  const used = refsIn(rest, new Set())
  // And what those refer to, and so on.
  const pending = [...used]
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    for (const ref of refsIn(schemas[name], new Set())) {
      if (used.has(ref)) continue
      used.add(ref)
      pending.push(ref)
    }
  }
  for (const name of Object.keys(schemas)) if (!used.has(name)) Reflect.deleteProperty(schemas, name)
  return doc
}

export const docsPlugin = fp<{ version: string }>(
  async (app, { version }) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: { title: 'Placement ledger API', version, description: API_DESCRIPTION, license: LICENSE },
        servers: [{ url: '/', description: 'the origin that served this document' }],
        // By default no key; every /v1 operation requires the bearer key (transform).
        security: [{}],
        components: {
          securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'an API key from the keys file' } },
        },
      },
      transform,
      transformObject,
    })
    // Swagger UI's page and files are static: out of the rate limit, so that reading the docs
    // never uses up the bucket of the address's anonymous API calls. The plugin takes no route
    // config, so its routes get it from `route` in a scope of their own.
    await app.register(async (scope) => {
      const route = scope.route
      // Called on the plugin's own instance (`this`), which carries its prefix (/docs).
      scope.route = function (this: typeof scope, options: Parameters<typeof route>[0]) {
        return route.call(this, { ...options, config: { ...options.config, rateLimit: false } })
      } as typeof scope.route
      await scope.register(swaggerUi, {
        routePrefix: '/docs',
        // The validator badge would call validator.swagger.io from the reader's browser.
        uiConfig: { validatorUrl: null, persistAuthorization: false },
        logLevel: 'warn',
      })
    })
    app.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () => app.swagger())
  },
  { name: 'ledger-docs', fastify: '5.x' },
)
