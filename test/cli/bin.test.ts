/**
 * bin/placement-ledger from a checkout that was never built says to run `npm run build`, in one
 * line with exit 2, instead of a stack trace; once built, it runs the build. A copy of the bin
 * beside a dist/ of the test's own stands for the checkout, so the repository's dist/ is left
 * alone whatever state it is in.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { tempDir } from './support'

const BIN = join(__dirname, '..', '..', 'bin', 'placement-ledger')

function checkout(t: { teardown(fn: () => unknown): void }): string {
  const root = tempDir(t, 'ledger-bin-')
  mkdirSync(join(root, 'bin'))
  copyFileSync(BIN, join(root, 'bin', 'placement-ledger'))
  return root
}

const run = (root: string, args: string[]) =>
  spawnSync(process.execPath, [join(root, 'bin', 'placement-ledger'), ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } })

t.test('not built: one line saying to run npm run build, exit 2', async (t) => {
  const root = checkout(t)
  for (const args of [[], ['--help'], ['serve']]) {
    const result = run(root, args)
    t.equal(result.status, 2, args.join(' ') || '(no arguments)')
    t.equal(result.stdout, '')
    t.match(result.stderr, /^placement-ledger: [^\n]*npm run build[^\n]*\n$/, 'one line')
    t.notMatch(result.stderr, /\n\s+at |MODULE_NOT_FOUND/, 'no stack trace')
  }
})

t.test('built: the bin runs dist/src/main.js with the arguments', async (t) => {
  const root = checkout(t)
  mkdirSync(join(root, 'dist', 'src'), { recursive: true })
  writeFileSync(join(root, 'dist', 'src', 'main.js'), 'process.stdout.write(JSON.stringify(process.argv.slice(2)))\n')
  const result = run(root, ['keys', 'list'])
  t.equal(result.status, 0, result.stderr)
  t.same(JSON.parse(result.stdout), ['keys', 'list'])
})
