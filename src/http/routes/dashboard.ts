/**
 * The dashboard: `GET /` and its two assets, as built by scripts/build-dashboard.js into
 * dist/dashboard. Public routes: the page holds no figures; it asks the reader for a key and
 * calls /v1 with it.
 *
 * Caching: the page is revalidated on every visit (ETag, 304); it names its assets with
 * ?v=<content hash>, so an asset asked for with its current hash may be kept for a year, and
 * one asked for otherwise is revalidated. A server started before the bundle was built answers
 * 503 with a line saying how to build it, and serves the files as soon as they exist.
 *
 * Not rate-limited: a page load is no API call, and must not count against the bucket of the
 * address's anonymous API calls.
 */
import { createHash } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'

export interface DashboardOptions {
  /** Where the built files are; default dist/dashboard at the repository's root. */
  dir?: string
}

interface Asset {
  file: string
  type: string
  /** The page is never cached without revalidation; assets may be, when asked by hash. */
  immutableByHash: boolean
}

const PAGE: Asset = { file: 'index.html', type: 'text/html; charset=utf-8', immutableByHash: false }
const SCRIPT: Asset = { file: 'app.js', type: 'text/javascript; charset=utf-8', immutableByHash: true }
const STYLES: Asset = { file: 'styles.css', type: 'text/css; charset=utf-8', immutableByHash: true }

export const NOT_BUILT = 'The dashboard has not been built yet: run `npm run build:dashboard` (or `npm run build`), then reload this page.\n'

/**
 * dist/dashboard at the repository root, whether this file runs as TypeScript from
 * src/http/routes (tsx, tests) or compiled from dist/src/http/routes (one level deeper).
 */
export function defaultDashboardDir(): string {
  const compiled = __filename.endsWith('.js')
  return resolve(__dirname, ...(compiled ? ['..', '..', '..', '..'] : ['..', '..', '..']), 'dist', 'dashboard')
}

interface Loaded {
  mtimeMs: number
  size: number
  body: Buffer
  hash: string
}

/** Files read once per change (mtime and size), not once per request. */
function fileCache() {
  const cache = new Map<string, Loaded>()
  return async (path: string): Promise<Loaded | undefined> => {
    let info
    try {
      info = await stat(path)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
    const hit = cache.get(path)
    if (hit && hit.mtimeMs === info.mtimeMs && hit.size === info.size) return hit
    const body = await readFile(path)
    // The same 16 hex digits as scripts/build-dashboard.js puts in ?v=.
    const loaded = { mtimeMs: info.mtimeMs, size: info.size, body, hash: createHash('sha256').update(body).digest('hex').slice(0, 16) }
    cache.set(path, loaded)
    return loaded
  }
}

const AssetQuery = z.object({ v: z.string().max(64).optional() })

export function dashboardRoutes(options: DashboardOptions = {}): FastifyPluginAsync {
  const dir = options.dir ?? defaultDashboardDir()
  const load = fileCache()

  async function send(asset: Asset, version: string | undefined, request: FastifyRequest, reply: FastifyReply) {
    const file = await load(join(dir, asset.file))
    if (file === undefined) {
      return reply.code(503).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT)
    }
    const etag = `"${file.hash}"`
    const forever = asset.immutableByHash && version === file.hash
    reply.header('etag', etag).header('cache-control', forever ? 'public, max-age=31536000, immutable' : 'no-cache')
    if (request.headers['if-none-match'] === etag) return reply.code(304).send()
    return reply.type(asset.type).send(file.body)
  }

  return async (fastify) => {
    const app = fastify.withTypeProvider<ZodTypeProvider>()
    const schema = { hide: true, querystring: AssetQuery }
    // Static files, read from a cache: out of the rate limit, so that page loads never use up
    // the bucket of the address's anonymous API calls (security.ts).
    const config = { rateLimit: false } as const
    app.get('/', { schema, config }, (request, reply) => send(PAGE, undefined, request, reply))
    app.get('/dashboard/app.js', { schema, config }, (request, reply) => send(SCRIPT, request.query.v, request, reply))
    app.get('/dashboard/styles.css', { schema, config }, (request, reply) => send(STYLES, request.query.v, request, reply))
  }
}
