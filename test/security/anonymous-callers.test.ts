/**
 * Callers without a valid key (issue 15, Low): their bodies are not read, their API calls have
 * a bucket per address that page loads do not use up, and they never touch a key's bucket.
 */
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import t from 'tap'
import { harness, KEYS } from '../support/harness'

const MiB = 1024 * 1024

interface Refused {
  status: number
  connection: string | undefined
  /** Body bytes the client had handed to its socket when the answer came. */
  writtenAtAnswer: number
}

/**
 * POSTs `size` bytes (with a content-length, or chunked) and no key, 64 KiB at a time, honouring
 * back-pressure, and goes on sending after the answer, as a client uploading a file does,
 * until the body is sent or the server has closed the connection.
 */
function uploadWithoutKey(port: number, size: number, chunked: boolean, path: string): Promise<Refused> {
  // A client that would keep the connection for its next request, as browsers and SDKs do.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    let written = 0
    let answer: Refused | undefined
    let ended = false
    const finish = () => {
      if (answer === undefined || !ended) return
      // Done with this connection either way: the server counts what it read once it closes.
      req.destroy()
      agent.destroy()
      resolve(answer)
    }
    const req = http.request({
      host: '127.0.0.1', port, method: 'POST', path, agent,
      headers: { 'content-type': 'application/json', ...(chunked ? {} : { 'content-length': size }) },
    }, (res) => {
      answer = { status: res.statusCode ?? 0, connection: res.headers.connection, writtenAtAnswer: written }
      res.resume()
      res.on('end', finish)
    })
    // Once answered, a connection the server closes ends the upload; before, it is a failure.
    req.on('error', (error) => {
      if (answer === undefined) return reject(error)
      ended = true
      finish()
    })
    // Ended: the whole body was sent (the server read it), or the connection closed.
    for (const event of ['finish', 'close']) {
      req.on(event, () => {
        ended = true
        finish()
      })
    }
    const pump = () => {
      while (written < size) {
        if (req.destroyed) return
        const ok = req.write(chunk)
        written += chunk.length
        if (!ok) return void req.once('drain', pump)
      }
      req.end()
    }
    pump()
  })
}

t.test('a POST without a key is answered 401 before its body is read, and its connection closed', async (t) => {
  const h = await harness(t, { env: { LEDGER_RATE_LIMIT: '1000000' } })
  // Bytes the server read from each connection, counted when the connection closes.
  const read: number[] = []
  let closed = () => {}
  h.app.server.on('connection', (socket: Socket) => socket.on('close', () => {
    read.push(socket.bytesRead)
    closed()
  }))
  await h.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = h.app.server.address() as AddressInfo
  const size = 50 * MiB
  for (const path of ['/v1/learners/L-1/events', '/v1/imports']) {
    for (const chunked of [false, true]) {
      const how = `${path}, ${chunked ? 'chunked' : 'content-length'}`
      const gone = new Promise<void>((resolve) => { closed = resolve })
      const refused = await uploadWithoutKey(port, size, chunked, path)
      t.equal(refused.status, 401, how)
      t.equal(refused.connection, 'close', `${how}: the answer says the connection closes`)
      t.ok(refused.writtenAtAnswer < size, `${how}: the answer came while the body was still being sent`)
      await gone
      const bytes = read.pop() ?? Number.POSITIVE_INFINITY
      t.ok(bytes < size / 5, `${how}: the server read ${bytes} bytes of a ${size}-byte body`)
    }
  }
})

t.test('a GET without a key still keeps its connection', async (t) => {
  const h = await harness(t)
  const res = await h.call(null, { method: 'GET', url: '/v1/cohorts' })
  t.equal(res.statusCode, 401)
  t.not(res.headers.connection, 'close')
})

const A = '192.0.2.1'
const B = '192.0.2.2'

t.test('page loads do not use up the anonymous API bucket, which is per address and apart from keys', async (t) => {
  const limit = 5
  const h = await harness(t, { env: { LEDGER_RATE_LIMIT: String(limit) } })
  const get = (url: string, remoteAddress: string, key?: string) =>
    h.app.inject({ method: 'GET', url, remoteAddress, headers: key ? { authorization: `Bearer ${key}` } : {} })

  const assets = ['/', '/dashboard/app.js', '/dashboard/styles.css', '/docs', '/docs/static/swagger-ui-bundle.js', '/openapi.json']
  for (let round = 0; round < 4; round++) {
    for (const url of assets) {
      const res = await get(url, A)
      t.not(res.statusCode, 404, `${url} is served`)
      t.not(res.statusCode, 429, `${url} (round ${round}) not limited`)
      t.equal(res.headers['x-ratelimit-limit'], undefined, `${url} counts against no bucket`)
    }
  }
  // All of A's anonymous API bucket is still there after 24 page loads.
  for (let i = 0; i < limit; i++) t.equal((await get('/v1/cohorts', A)).statusCode, 401, `anonymous API call ${i + 1} from A`)
  t.equal((await get('/v1/cohorts', A)).statusCode, 429, 'the next one from A is limited')
  // Still no page load is refused, whatever A's API bucket holds.
  t.not((await get('/', A)).statusCode, 429)
  // Another address has a bucket of its own.
  t.equal((await get('/v1/cohorts', B)).statusCode, 401, 'an anonymous call from B is not limited')
  // A key's bucket is not touched by anonymous traffic, from the same address either.
  const keyed = await get('/v1/cohorts', A, KEYS.admin)
  t.equal(keyed.statusCode, 200, 'the admin key from A is answered')
  t.equal(keyed.headers['x-ratelimit-remaining'], String(limit - 1), 'its bucket is whole but for this call')
})
