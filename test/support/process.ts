import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

const ROOT = join(__dirname, '..', '..')

export interface ServiceProcess {
  child: ChildProcess
  url: string
  output(): string
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>
}

/**
 * The test's clock, for a child process: a child reads the same clock as the test that spawned
 * it (under faketime, the moved one), so what both write and compare agrees on any date.
 */
export function clockEnv(): Record<string, string> {
  const kept: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && (['LD_PRELOAD', 'DONT_FAKE_MONOTONIC', 'TZ'].includes(name) || name.startsWith('FAKETIME'))) kept[name] = value
  }
  return kept
}

/** Runs `placement-ledger <args>` from the sources (tsx) with the given environment. */
export function runCli(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...clockEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** Starts `serve` on an ephemeral port and resolves once it listens. */
export function startService(env: Record<string, string>, args: string[] = []): Promise<ServiceProcess> {
  const child = runCli(['serve', ...args], { PORT: '0', ...env })
  let text = ''
  child.stdout!.on('data', (d) => { text += d })
  child.stderr!.on('data', (d) => { text += d })
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)))
  return new Promise((resolve, reject) => {
    const onData = () => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(text)
      if (!match) return
      child.stdout!.off('data', onData)
      resolve({ child, url: match[1], output: () => text, exited })
    }
    child.stdout!.on('data', onData)
    void exited.then((code) => reject(new Error(`service exited (${code}) before listening:\n${text}`)))
  })
}

/** The admin key printed once on first start. */
export function printedAdminKey(output: string): string | undefined {
  return /keep it:\s+(\S+)/.exec(output)?.[1]
}
