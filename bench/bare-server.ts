/**
 * The reads baseline: a bare fastify route that answers the indicator path with fixed bytes
 * (the service's own answer, captured by bench/reads.ts). Run as a child process:
 * `node bare-server.js <body file> <port>`; it sends 'ready' over IPC once listening.
 */
import { readFileSync } from 'node:fs'
import Fastify from 'fastify'

async function main() {
  const [file, port] = process.argv.slice(2)
  const body = readFileSync(file)
  const app = Fastify({ logger: false })
  app.get('/v1/indicators/insertion', async (_request, reply) => reply.type('application/json; charset=utf-8').send(body))
  await app.listen({ port: Number(port), host: '127.0.0.1' })
  process.send?.('ready')
}

void main()
