/**
 * GET /v1/audit/events: the log as NDJSON in log order, from a position, with a limit, and
 * streamed with back-pressure: a slow reader holds the store read back instead of the whole
 * log piling up in memory.
 */
import { get } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import type { Envelope } from '../../events'
import { MAX_EVENTS_LIMIT } from '../../src/read/audit'
import type { EventStore } from '../../src/store/types'
import { harness } from '../support/harness'
import { application, expectStatus, screened, setUp } from '../support/scenario'

const lines = (body: string) => body.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Envelope)

t.test('the log as NDJSON, from a position, with a limit', async (t) => {
  const h = await harness(t)
  const empty = await h.call('auditor', { method: 'GET', url: '/v1/audit/events' })
  t.equal(empty.statusCode, 200)
  t.equal(empty.body, '')
  await setUp(h)
  await expectStatus(h, 'op1', 'POST', '/v1/learners/A/events', { events: [application('NA'), screened()] }, 201)
  const all: Envelope[] = []
  for await (const e of h.ledger.store.readAll()) all.push(e)
  t.equal(all.length, 6)

  const res = await h.call('auditor', { method: 'GET', url: '/v1/audit/events' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/x-ndjson/)
  t.equal(res.headers['x-ledger-position'], String(all.at(-1)!.position))
  t.ok(res.body.endsWith('}\n'), 'every line ends with a newline')
  t.same(lines(res.body), all, 'every stored envelope, as stored, in log order')

  const from = await h.call('admin', { method: 'GET', url: `/v1/audit/events?fromPosition=${all[2].position}&limit=2` })
  t.same(lines(from.body), all.slice(2, 4), 'fromPosition is inclusive')
  const past = await h.call('auditor', { method: 'GET', url: `/v1/audit/events?fromPosition=${all.at(-1)!.position + 1}` })
  t.equal(past.body, '')

  for (const query of ['limit=0', `limit=${MAX_EVENTS_LIMIT + 1}`, 'fromPosition=-1', 'fromPosition=x', 'from=3']) {
    const bad = await h.call('auditor', { method: 'GET', url: `/v1/audit/events?${query}` })
    t.equal(bad.statusCode, 400, query)
    t.equal(bad.json().code, 'validation')
  }
  for (const who of ['viewer', 'op1'] as const) t.equal((await h.call(who, { method: 'GET', url: '/v1/audit/events' })).statusCode, 403)
  t.equal((await h.call(null, { method: 'GET', url: '/v1/audit/events' })).statusCode, 401)
})

/** A store whose log is `total` generated events, counting how many its reader has pulled. */
function generatedLog(total: number) {
  const counter = { produced: 0 }
  const envelope = (position: number): Envelope => ({
    eventId: '00000000-0000-4000-8000-000000000000', type: 'OperatorRegistered', schemaVersion: 1,
    streamId: `operator-OP${position}`, streamRevision: 0, position,
    data: { operatorId: `OP${position}`, name: 'An operator with a name of ordinary length' },
    metadata: {
      recordedAt: '2025-01-01T00:00:00.000Z', actor: { keyId: 'admin', role: 'admin' }, correlationId: 'c',
      prevHash: '0'.repeat(64), hash: 'f'.repeat(64),
    },
  })
  const store: EventStore = {
    kind: 'sqlite',
    append: () => Promise.reject(new Error('read-only')),
    readStream: async () => [],
    async *readAll({ fromPosition = 0 } = {}) {
      for (let p = Math.max(1, fromPosition); p <= total; p++) {
        counter.produced++
        yield envelope(p)
      }
    },
    subscribe: (_after, handlers) => {
      queueMicrotask(() => handlers.onCaughtUp?.(0))
      return { stop: async () => {} }
    },
    headPosition: async () => total,
    ping: async () => {},
    close: async () => {},
  }
  return { store, counter }
}

t.test('a slow reader holds the read back: the log never piles up in memory', async (t) => {
  const total = 200_000
  const { store, counter } = generatedLog(total)
  const h = await harness(t, { store })
  await h.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = h.app.server.address() as AddressInfo

  let received = 0
  let maxAhead = 0
  let tail = ''
  await new Promise<void>((resolve, reject) => {
    const req = get({ port, host: '127.0.0.1', path: '/v1/audit/events', headers: { authorization: 'Bearer key-auditor-00000000000000000000000000' } }, (res) => {
      t.equal(res.statusCode, 200)
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        const text = tail + chunk
        const cut = text.lastIndexOf('\n') + 1
        for (let i = 0; i < cut; i++) if (text.charCodeAt(i) === 10) received++
        tail = text.slice(cut)
        maxAhead = Math.max(maxAhead, counter.produced - received)
        // A slow reader: it takes the next chunk only after the event loop has turned.
        res.pause()
        setImmediate(() => res.resume())
      })
      res.on('end', resolve)
      res.on('error', reject)
    })
    req.on('error', reject)
  })
  t.equal(received, total, 'every event arrived')
  t.equal(tail, '')
  t.ok(maxAhead < total / 4, `the store read ran at most ${maxAhead} events ahead of the reader`)
})
