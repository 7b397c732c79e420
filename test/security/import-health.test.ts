/**
 * Health stays answered during imports (issue, medium: with dry-run imports running,
 * `/health/live` waited 10.8 s and an orchestrator would have restarted a working instance). The
 * embedded store answers without leaving the event loop, so an import that never let it turn
 * would hold every other request until its last row; it turns between chunks of rows.
 *
 * Ordering, not timing: the probe goes out over a real connection as the first row is decided;
 * its answer must come back while rows are still being decided.
 */
import t from 'tap'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { harness } from '../support/harness'
import { screened, setUp } from '../support/scenario'
import { ndjson, postImport, row } from '../import/support'

/** GET `path` on a kept-alive connection; resolves with the status once the answer is in. */
function get(port: number, agent: http.Agent, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    }).on('error', reject)
  })
}

t.test('/health/live and /health/ready answer while a large dry-run import is deciding its rows', async (t) => {
  const h = await harness(t, { env: { LEDGER_IMPORT_DRY_RUN_ROWS_PER_HOUR: '100000' } })
  await setUp(h)
  await h.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = h.app.server.address() as AddressInfo
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  t.equal(await get(port, agent, '/health/live'), 200, 'the connection is open before the import')

  // About 250 KB: the spooled file is read back in one chunk, so reading it never lets the loop turn.
  const rows = 2400
  const body = ndjson(Array.from({ length: rows }, (_, i) => row(`L-${i}`, screened())))
  t.ok(body.length < 256 * 1024)

  const commands = h.ledger.commands
  const decide = commands.appendLearnerEvents.bind(commands)
  let decided = 0
  let probes: Promise<Array<{ status: number; decided: number }>> | undefined
  commands.appendLearnerEvents = (...args) => {
    decided++
    probes ??= (async () => {
      const out = []
      for (const path of ['/health/live', '/health/ready']) out.push({ status: await get(port, agent, path), decided })
      return out
    })()
    return decide(...args)
  }

  const answer = await postImport(h, 'op1', body, 'application/x-ndjson', '?dryRun=true')
  t.equal(answer.statusCode, 200)
  t.match(answer.json(), { rejected: rows, dryRun: true })
  t.ok(probes, 'the probes went out as the first row was decided')
  for (const probe of await probes!) {
    t.equal(probe.status, 200)
    t.ok(probe.decided < rows, `answered after ${probe.decided} of ${rows} rows were decided, not after the import`)
  }
})
