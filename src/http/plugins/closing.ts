/**
 * While the app closes (SIGTERM), a request that still arrives on an open keep-alive connection
 * is refused before any work with a 503 in the one error shape, code `shutting-down`, and the
 * connection is closed after it. Fastify's own refusal (return503OnClosing, turned off in
 * app.ts) has no `code`, so a client could not tell "retry elsewhere" from any other 503.
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
  },
  { name: 'ledger-closing', fastify: '5.x', dependencies: ['ledger-errors'] },
)
