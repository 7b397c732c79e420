/** HTTP load with autocannon, run in the bench process against a server in another process. */
import autocannon from 'autocannon'

export interface LoadOptions {
  url: string
  connections: number
  seconds: number
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  /** Called for every request: its path and body (autocannon's setupRequest). */
  next?: () => { path: string; body?: string }
}

export interface LoadResult {
  /** 2xx answers a second over the run. */
  okPerSecond: number
  ok: number
  non2xx: number
  errors: number
  p50Ms: number
  p99Ms: number
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  const { next } = options
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    duration: options.seconds,
    method: options.method ?? 'GET',
    headers: options.headers,
    ...(next === undefined ? {} : {
      requests: [{
        setupRequest: (request) => {
          const { path, body } = next()
          return { ...request, path, ...(body === undefined ? {} : { body }) }
        },
      }],
    }),
  })
  return {
    okPerSecond: result['2xx'] / result.duration,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  }
}
