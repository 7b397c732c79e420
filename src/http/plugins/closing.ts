/**
 * While the app closes (SIGTERM), a request that still arrives on an open keep-alive connection
 * is refused before any work with a 503 in the one error shape, code `shutting-down`, and the
 * connection is closed after it. Fastify's own refusal (return503OnClosing, turned off in
 * app.ts) has no `code`, so a client could not tell "retry elsewhere" from any other 503.
 *
 * server.close() closes only the connections idle at that moment: a keep-alive connection whose
 * request is still in flight stays open after its answer, and close() would wait for the client
 * to hang up (or the 72 s keep-alive timeout), past the grace period. So while closing, each
 * connection is closed as soon as it is idle after an answer. Not by `Connection: close` on that
 * answer: a request already pipelined behind it on the same connection would get no answer at
 * all, where it gets the 503 above.
 */
import fp from 'fastify-plugin'
import { LedgerError } from '../../errors'

export const shuttingDown = () =>
  new LedgerError(503, 'shutting-down', 'the service is shutting down and did nothing with this request; send it again once it is back')

export const closingPlugin = fp(
  async (app) => {
    let closing = false
    app.addHook('preClose', async () => {
      closing = true
    })
    app.addHook('onRequest', async (_request, reply) => {
      if (!closing) return
      reply.header('connection', 'close')
      throw shuttingDown()
    })
    app.addHook('onResponse', async () => {
      if (closing) setImmediate(() => app.server.closeIdleConnections())
    })
  },
  { name: 'ledger-closing', fastify: '5.x', dependencies: ['ledger-errors'] },
)
