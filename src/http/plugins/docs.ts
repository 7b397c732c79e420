/**
 * OpenAPI 3 document generated from the routes' zod schemas, served at GET /openapi.json, and
 * Swagger UI at /docs from the package's own assets (no CDN). Registered only when docs are
 * enabled; otherwise both answer 404. Routes with `config.roles` get the bearer requirement and
 * their 401/403/429 answers added here, so route files need not repeat them.
 */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod'
import '../schemas'

export const API_DESCRIPTION = `An auditable, event-sourced ledger of a training-to-employment programme.

Authenticate with \`Authorization: Bearer <key>\`. Each operation lists the roles that may call it; admin may call all.

Where the written contract is silent, this service chooses as follows:
- Every error answer is \`{statusCode, code, message, details?}\`. 400 \`validation\` carries the zod issues in \`details\` (each with \`code\`, \`path\`, \`message\`); its message names the part of the request at fault (body, querystring, params). Bodies and queries are strict: unknown fields are rejected.
- A body that is not JSON answers 400 \`invalid-json\` (also for an empty body where one is required); a content type the operation does not take answers 415 \`unsupported-media-type\`; an unknown route 404 \`not-found\`; an unexpected failure 500 \`internal\` with no detail (the cause is logged under the request id).
- 401 \`unauthorized\` comes with \`WWW-Authenticate: Bearer\`, before the body is read.
- The rate limit counts per API key, or per client address for requests without a valid key, and answers 429 \`rate-limited\` with \`Retry-After\` in seconds and \`x-ratelimit-*\` headers. The health endpoints are not limited.
- Every answer carries \`x-request-id\`: the caller's own when it sent a sane token (up to 128 of A-Z a-z 0-9 . _ : -), else a new UUID; writes record it as the events' correlationId.
- Keys added with \`placement-ledger keys add\`, or removed from the keys file, take effect within a second, without a restart.`

// ErrorBody is registered with id 'Error', so jsonSchemaTransformObject puts it in components.
const ErrorJson = (description: string) => ({ description, allOf: [{ $ref: '#/components/schemas/Error' }] })

const SECURED_RESPONSES: Record<string, () => object> = {
  401: () => ErrorJson('no valid API key (code unauthorized)'),
  403: () => ErrorJson('this key may not do that (code forbidden)'),
  429: () => ErrorJson('too many requests for this key (code rate-limited); see Retry-After'),
}

type Transform = Parameters<typeof jsonSchemaTransform>[0]

/** The type provider's transform, plus the bearer requirement for routes that declare roles. */
function transform(input: Transform): ReturnType<typeof jsonSchemaTransform> {
  const out = jsonSchemaTransform(input)
  const roles = input.route.config?.roles
  if (roles === undefined || out.schema?.hide) return out
  const allowed = ['admin', ...roles.filter((r) => r !== 'admin')].join(', ')
  const schema: Record<string, unknown> = { ...(out.schema ?? {}) }
  const response: Record<string, unknown> = { ...(schema.response as Record<string, unknown> | undefined) }
  for (const [status, body] of Object.entries(SECURED_RESPONSES)) response[status] ??= body()
  const description = typeof schema.description === 'string' ? `${schema.description}\n\n` : ''
  return {
    url: out.url,
    schema: { ...schema, response, security: [{ bearerAuth: [] }], description: `${description}Roles: ${allowed}.` },
  }
}

export const docsPlugin = fp<{ version: string }>(
  async (app, { version }) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: { title: 'Placement ledger API', version, description: API_DESCRIPTION },
        components: {
          securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'an API key from the keys file' } },
        },
      },
      transform,
      transformObject: jsonSchemaTransformObject,
    })
    await app.register(swaggerUi, {
      routePrefix: '/docs',
      // The validator badge would call validator.swagger.io from the reader's browser.
      uiConfig: { validatorUrl: null, persistAuthorization: false },
      logLevel: 'warn',
    })
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  },
  { name: 'ledger-docs', fastify: '5.x' },
)
