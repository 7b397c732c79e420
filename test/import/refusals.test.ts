import t from 'tap'
import { upload } from '../support/upload'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { harness, KEYS } from '../support/harness'
import { setUp } from '../support/scenario'
import { IMPORT_BODY_LIMIT } from '../../src/http/import-body'
import { application, ndjson, path, postImport, row } from './support'

t.test('invalid UTF-8 anywhere refuses the whole file before any row is written', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const position = h.ledger.runner.position
  const good = ndjson([...path('L-1', 'N1'), ...path('L-2', 'N2')])
  const latin1 = Buffer.concat([Buffer.from(good), Buffer.from('{"learnerId":"L-3","type":"ApplicationScreened","data":{"decision":"accepted","reason":"', 'utf8'), Buffer.from([0xe9, 0x74, 0xe9]), Buffer.from('","screenedOn":"2024-12-15"}}\n')])
  const res = await postImport(h, 'op1', latin1, 'application/x-ndjson')
  t.equal(res.statusCode, 400)
  t.match(res.json(), { statusCode: 400, code: 'invalid-encoding', message: /not valid UTF-8 \(first invalid bytes on line 7\).*nothing was written/ })
  const csv = Buffer.concat([Buffer.from('learnerId;decision;screenedOn;reason\nL-1;accepted;2024-12-15;'), Buffer.from([0x92]), Buffer.from('\n')])
  const csvRes = await postImport(h, 'op1', csv, 'text/csv', '?type=ApplicationScreened')
  t.match(csvRes.json(), { statusCode: 400, code: 'invalid-encoding', message: /line 2/ })
  t.equal(h.ledger.runner.position, position, 'nothing was written')
})

t.test('no body, another content type or charset: 400 or 415, nothing written', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const position = h.ledger.runner.position
  const none = await h.call('op1', { method: 'POST', url: '/v1/imports' })
  t.equal(none.statusCode, 400)
  t.match(none.json(), { code: 'empty-import', message: /the body is empty/ })
  const json = await postImport(h, 'op1', JSON.stringify(row('L-1', application('N1'))), 'application/json')
  t.equal(json.statusCode, 415)
  t.same(json.json(), { statusCode: 415, code: 'unsupported-media-type', message: 'content type application/json is not accepted here' })
  const text = await postImport(h, 'op1', 'learnerId\n', 'text/plain')
  t.equal(text.statusCode, 415)
  const latin = await postImport(h, 'op1', 'learnerId\n', 'text/csv; charset=windows-1252', '?type=ApplicationScreened')
  t.equal(latin.statusCode, 415)
  t.match(latin.json(), { code: 'unsupported-media-type', message: 'imports are read as UTF-8, not windows-1252' })
  const utf8 = await postImport(h, 'op1', ndjson([row('L-1', application('N1'))]), 'application/x-ndjson; charset=UTF-8')
  t.equal(utf8.statusCode, 200, 'charset=utf-8 is fine')
  t.equal(h.ledger.runner.position, position + 1)
})

t.test('operators and admin import; auditors, viewers and callers without a key do not', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const body = ndjson([row('L-1', application('N1'))])
  for (const [as, status] of [['auditor', 403], ['viewer', 403], [null, 401]] as const) {
    const res = await postImport(h, as, body, 'application/x-ndjson')
    t.equal(res.statusCode, status, `${as ?? 'no key'}: ${status}`)
  }
  t.equal(h.ledger.runner.position, 4, 'nothing was written')
  const admin = await postImport(h, 'admin', body, 'application/x-ndjson')
  t.match(admin.json(), { accepted: 1 })
})

t.test('a body over 64 MiB is read, discarded and answered 413; nothing written', async (t) => {
  const h = await harness(t)
  await setUp(h)
  const position = h.ledger.runner.position
  const line = `${JSON.stringify(row('L-1', application('N1')))}\n`
  const big = Buffer.alloc(65 * 1024 * 1024, ' ')
  big.write(line, 0)
  const res = await postImport(h, 'op1', big, 'application/x-ndjson')
  t.equal(res.statusCode, 413)
  t.same(res.json(), { statusCode: 413, code: 'payload-too-large', message: `the body is larger than the ${IMPORT_BODY_LIMIT} bytes accepted here; nothing was written` })
  t.equal(h.ledger.runner.position, position, 'nothing was written')
})

/** An NDJSON import over a real socket; `chunked`: no content-length, so only the bytes tell. */
const uploadImport = (port: number, agent: http.Agent, body: Buffer, chunked: boolean) => upload({
  port, agent, body, chunked, path: '/v1/imports', chunkBytes: 256 * 1024,
  headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${KEYS.op1}` },
})

t.test('over a real connection, an oversize upload (chunked or not) gets its 413 and the connection stays usable', async (t) => {
  const h = await harness(t)
  await setUp(h)
  await h.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = h.app.server.address() as AddressInfo
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  const position = h.ledger.runner.position
  const big = Buffer.alloc(IMPORT_BODY_LIMIT + 1024 * 1024, ' ')
  big.write(ndjson(path('L-1', 'N1')), 0)
  for (const chunked of [true, false]) {
    const refused = await uploadImport(port, agent, big, chunked)
    t.equal(refused.status, 413, `413 received (${chunked ? 'chunked' : 'content-length'})`)
    t.equal(JSON.parse(refused.body).code, 'payload-too-large')
  }
  t.equal(h.ledger.runner.position, position, 'nothing was written')
  const ok = await uploadImport(port, agent, Buffer.from(ndjson(path('L-1', 'N1'))), true)
  t.equal(ok.status, 200)
  t.match(JSON.parse(ok.body), { accepted: 3, rejected: 0 })
})
