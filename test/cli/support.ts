/**
 * The command line under test: in-process (runCli with captured streams and an environment of
 * the test's own) for breadth, and as a real process (tsx, as test/support/process.ts runs it)
 * where exit codes and the split between stdout and stderr are the point.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli as runInProcess } from '../../src/cli/run'
import type { Output } from '../../src/cli/output'
import { runCli as spawnCli } from '../support/process'

export interface Teardown {
  teardown(fn: () => unknown): void
}

export function tempDir(t: Teardown, prefix = 'ledger-cli-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

export interface Captured extends Output {
  text(): string
}

export function capture(isTTY = false): Captured {
  const chunks: string[] = []
  return { isTTY, write: (s) => { chunks.push(s) }, text: () => chunks.join('') }
}

export interface Ran {
  code: number | null
  stdout: string
  stderr: string
}

/** `placement-ledger <args>` in this process; `env` is the whole environment it sees. */
export async function cli(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  const out = capture()
  const err = capture()
  const code = await runInProcess(args, { out, err }, { LOG_LEVEL: 'silent', ...env })
  return { code, stdout: out.text(), stderr: err.text() }
}

/** `placement-ledger <args>` as a child process (tsx); resolves once it has exited and its output is read. */
export function spawned(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  const child = spawnCli(args, { LOG_LEVEL: 'silent', ...env })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (d: Buffer) => { stdout += d })
  child.stderr!.on('data', (d: Buffer) => { stderr += d })
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })))
}

/**
 * Every file under `dir` with its size, mtime and content hash: equal before and after a command
 * that only reads means it created, removed and wrote nothing. Undefined when `dir` is absent.
 */
export function listing(dir: string): Record<string, string> | undefined {
  if (!existsSync(dir)) return undefined
  const files: Record<string, string> = {}
  const walk = (at: string, prefix: string) => {
    for (const name of readdirSync(at).sort()) {
      const path = join(at, name)
      const stat = statSync(path)
      if (stat.isDirectory()) walk(path, `${prefix}${name}/`)
      else files[`${prefix}${name}`] = `${stat.size} ${stat.mtimeMs} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`
    }
  }
  walk(dir, '')
  return files
}
