/**
 * Disk trouble on demand: a small tmpfs the test can fill (it needs the privilege to mount,
 * which a CI container may lack: then `tmpfsUnavailable` says why and the tests that need it
 * are skipped), an immutable flag (chattr), and the one-line start failure the CLI must give.
 */
import { spawnSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli } from '../support/process'

function run(command: string, args: string[]): string | undefined {
  const r = spawnSync(command, args, { encoding: 'utf8' })
  if (r.error) return `${command}: ${r.error.message}`
  return r.status === 0 ? undefined : `${command} ${args.join(' ')}: ${(r.stderr || r.stdout).trim() || `exit ${r.status}`}`
}

/** Mounts a tmpfs of `sizeKiB`; returns its path, or the reason it could not. */
export function mountTmpfs(t: { teardown(fn: () => unknown): void }, sizeKiB: number): { dir: string } | { reason: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-tmpfs-'))
  const failed = run('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k,mode=0700`, 'tmpfs', dir])
  if (failed !== undefined) {
    rmSync(dir, { recursive: true, force: true })
    return { reason: failed }
  }
  t.teardown(() => {
    run('umount', ['-l', dir])
    rmSync(dir, { recursive: true, force: true })
  })
  return { dir }
}

/** Probes once whether this machine lets the tests mount a tmpfs. */
export function tmpfsUnavailable(): string | undefined {
  const cleanups: Array<() => unknown> = []
  const mounted = mountTmpfs({ teardown: (fn) => cleanups.push(fn) }, 64)
  cleanups.forEach((fn) => fn())
  return 'reason' in mounted ? `cannot mount a tmpfs (${mounted.reason})` : undefined
}

/** Sets or clears the immutable flag; returns why it could not, if it could not. */
export function chattr(flag: '+i' | '-i', path: string): string | undefined {
  return run('chattr', [flag, path])
}

/** Fills the file system holding `dir` to the last byte; returns the filler's path. */
export function fillDisk(dir: string): string {
  const file = join(dir, 'filler')
  const fd = openSync(file, 'w')
  try {
    for (const size of [1 << 20, 1 << 16, 1 << 12, 1 << 9, 1]) {
      const chunk = Buffer.alloc(size)
      try {
        for (;;) writeSync(fd, chunk)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
      }
    }
  } finally {
    closeSync(fd)
  }
  return file
}

export const emptyDisk = (filler: string) => unlinkSync(filler)

/** `serve` expected to refuse to start: its exit code and what it printed on stderr. */
export async function failedStart(env: Record<string, string>): Promise<{ code: number | string; stderr: string; listened: boolean }> {
  const child = runCli(['serve'], { PORT: '0', ...env })
  let stderr = ''
  let stdout = ''
  let listened = false
  child.stderr!.on('data', (d) => { stderr += d })
  child.stdout!.on('data', (d) => {
    stdout += d
    // It started after all: stop it, the test will say so.
    if (!listened && stdout.includes('Server listening')) {
      listened = true
      child.kill('SIGKILL')
    }
  })
  const code = await new Promise<number | string>((resolve) => child.on('exit', (c, s) => resolve(c ?? s ?? -1)))
  return { code, stderr, listened }
}
