/**
 * One keep-alive connection written by hand, so a test can hold a body half sent and pipeline
 * a second request behind it: the two things no ordinary client lets a test time exactly.
 */
import { connect, type Socket } from 'node:net'

export interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

export class RawConnection {
  private readonly socket: Socket
  private received = Buffer.alloc(0)
  /** Resolves with every response once the server has closed the connection. */
  readonly closed: Promise<RawResponse[]>

  constructor(url: string, private readonly key: string) {
    const { hostname, port } = new URL(url)
    this.socket = connect(Number(port), hostname)
    this.socket.on('data', (d: Buffer) => { this.received = Buffer.concat([this.received, d]) })
    this.closed = new Promise((resolve, reject) => {
      this.socket.on('close', () => resolve(parseResponses(this.received)))
      this.socket.on('error', reject)
    })
  }

  /** A request's head and body bytes, for the test to `write` in whatever pieces it likes. */
  request(method: string, path: string, body?: unknown): { head: string; body: Buffer } {
    const bytes = Buffer.from(body === undefined ? '' : JSON.stringify(body))
    const lines = [`${method} ${path} HTTP/1.1`, 'host: localhost', 'connection: keep-alive', `authorization: Bearer ${this.key}`]
    if (body !== undefined) lines.push('content-type: application/json', `content-length: ${bytes.length}`)
    return { head: `${lines.join('\r\n')}\r\n\r\n`, body: bytes }
  }

  write(data: string | Buffer): void {
    this.socket.write(data)
  }

  destroy(): void {
    this.socket.destroy()
  }
}

/** Splits what the server sent into responses; every one has a content-length (fastify's do). */
function parseResponses(data: Buffer): RawResponse[] {
  const out: RawResponse[] = []
  let rest = data
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n')
    if (end < 0) break
    const [statusLine, ...headerLines] = rest.subarray(0, end).toString('latin1').split('\r\n')
    const headers: Record<string, string> = {}
    for (const line of headerLines) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
    }
    const length = Number(headers['content-length'] ?? 0)
    const body = rest.subarray(end + 4, end + 4 + length).toString('utf8')
    out.push({ status: Number(statusLine.split(' ')[1]), headers, body })
    rest = rest.subarray(end + 4 + length)
  }
  return out
}
