/** Where a command writes: progress only on a terminal, results always. */
export interface Output {
  isTTY: boolean
  write(text: string): void
}

export const stdout: Output = {
  get isTTY() { return Boolean(process.stdout.isTTY) },
  write: (text) => { process.stdout.write(text) },
}

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
