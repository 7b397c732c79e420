import { Writable } from 'node:stream'

/** Where a command writes: progress only on a terminal, results always. */
export interface Output {
  isTTY: boolean
  write(text: string): void
  /** The stream underneath, for output that must wait for a slow reader (export). */
  stream?: Writable
}

export const stdout: Output = {
  get isTTY() { return Boolean(process.stdout.isTTY) },
  write: (text) => { process.stdout.write(text) },
  stream: process.stdout,
}

/** `out` as a stream: its own, or one that hands every chunk to `write` (an output held in memory). */
export function writableOf(out: Output): Writable {
  return out.stream ?? new Writable({
    write(chunk: Buffer, _encoding, done) {
      out.write(chunk.toString('utf8'))
      done()
    },
  })
}

export const stderr: Output = {
  get isTTY() { return Boolean(process.stderr.isTTY) },
  write: (text) => { process.stderr.write(text) },
}

/** Results and help on `out`; errors, refusals and notes on `err`. */
export interface CliIo {
  out: Output
  err: Output
}

export const processIo: CliIo = { out: stdout, err: stderr }

/** A single updating progress line on stderr when it is a terminal; silent when piped. */
export function progressLine(label: string): { update(done: number, total?: number): void; end(): void } {
  const tty = Boolean(process.stderr.isTTY)
  let last = 0
  return {
    update(done, total) {
      if (!tty) return
      const now = Date.now()
      if (now - last < 100 && done !== total) return
      last = now
      process.stderr.write(`\r${label}: ${done}${total ? ` / ${total}` : ''}   `)
    },
    end() {
      if (tty) process.stderr.write('\n')
    },
  }
}
