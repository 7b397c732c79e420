/**
 * The README's shell examples, run as a reader runs them: every ```sh block, in order, as one
 * bash session (`set -euo pipefail`), against a real `serve --demo` on a free port with a fresh
 * data directory, once the demo programme is fully written. A command that exits non-zero or a
 * curl answered anything but 2xx fails the block that ran it. The rules the README keeps (the
 * `<!-- not run: why -->` marker, `sh` blocks only, the two placeholders the test fills in) are in
 * test/support/readme-examples.ts.
 *
 * `npx placement-ledger` runs the CLI from the sources with tsx (npm test does not build dist/),
 * on the demo's data directory. The session's working directory is a temporary one: the files
 * the examples write (log.ndjson, report.csv...) land there.
 */
import t from 'tap'
import { execFileSync, spawn } from 'node:child_process'
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { planProgramme } from '../../src/tools/simulate'
import { printedAdminKey, startService } from '../support/process'
import {
  blockMarker, fencedBlocks, README_BASE_URL, sessionScript, SHELL_LIKE, substitute, writeShims,
} from '../support/readme-examples'

const ROOT = join(__dirname, '..', '..')
const README = readFileSync(join(ROOT, 'README.md'), 'utf8')

/** What `serve --demo` writes (src/cli): the programme of `simulate --learners 1000 --seed 1`. */
const DEMO = { learners: 1000, seed: 1 }
/**
 * The runnable blocks the README has today: quick start, keys, a learner's path, import, audit
 * over HTTP, audit from the command line, erasure. Fewer means examples were dropped (or marked
 * not run) and the README tests less than it did: lower this only on purpose.
 */
const MIN_RUNNABLE = 7
/** Both within tap's 120 s for the file, with room for start-up; each run takes 10 to 30 s on 2 cores. */
const DEMO_WRITTEN_WITHIN_MS = 50_000
const SESSION_WITHIN_MS = 60_000
/** Answers that say an example did not do what it shows, though the request itself succeeded. */
const REFUSED_INSIDE = /"rejected":[1-9]|"ok":false|"reproduced":false/

/** The few variables the service and the session inherit: the clock's (faketime) among them. */
function inherited(): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue
    if (['PATH', 'HOME', 'LANG', 'LC_ALL', 'TMPDIR', 'TZ', 'LD_PRELOAD', 'DONT_FAKE_MONOTONIC'].includes(name) || name.startsWith('FAKETIME')) {
      out[name] = value
    }
  }
  return out
}

const blocks = fencedBlocks(README)
const runnable = blocks.filter((b) => b.lang === 'sh' && b.notRun === undefined)
const plannedEvents = (() => {
  const plan = planProgramme(DEMO)
  return plan.setup.length + plan.learnerPlans.reduce((sum, learner) => sum + learner.steps.length, 0)
})()

t.test('the README writes its shell examples so that this test runs them', async (t) => {
  const at = (b: { line: number }) => `README.md:${b.line}`
  t.same(blocks.filter((b) => SHELL_LIKE.has(b.lang.toLowerCase())).map(at), [],
    'shell examples are sh blocks (never bash, console...), so that none escapes the test')
  t.same(blocks.filter((b) => b.notRun !== undefined && (b.lang !== 'sh' || b.notRun === '')).map(at), [],
    'each <!-- not run: why --> says why and precedes a sh block')
  t.ok(runnable.length >= MIN_RUNNABLE, `at least ${MIN_RUNNABLE} runnable sh blocks (found ${runnable.length})`)
  t.same(runnable.filter((b) => /(127\.0\.0\.1|localhost):\d+/.test(b.source.split(README_BASE_URL).join(''))).map(at), [],
    `runnable blocks name the service as ${README_BASE_URL}, which the test points at the demo`)
  t.match(README, `${DEMO.learners.toLocaleString('en-US')} learners, ${plannedEvents.toLocaleString('en-US')} events`,
    'the README says what the demo writes')
})

t.test('every runnable sh block of the README works against a fresh demo', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-readme-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const data = join(dir, 'data')
  const work = join(dir, 'work')
  const bin = join(dir, 'bin')
  for (const d of [work, bin]) mkdirSync(d)

  const service = await startService({ ...inherited(), LEDGER_DATA_DIR: data, LOG_LEVEL: 'info' }, ['--demo'])
  t.teardown(async () => {
    service.child.kill('SIGTERM')
    await service.exited
  })
  const adminKey = printedAdminKey(service.output())
  if (adminKey === undefined) throw new Error(`no admin key printed:\n${service.output()}`)

  // Fully written: the projections hold every event of the demo's plan. minPosition makes the
  // service wait (up to 5 s a request) until they do, so this loop polls without sleeping.
  const started = Date.now()
  const notWritten = (why: string) => new Error(`the demo did not write its ${plannedEvents} events (${why}):\n${service.output()}`)
  for (;;) {
    const answer = await fetch(`${service.url}/v1/indicators/progress?minPosition=${plannedEvents}`, {
      headers: { authorization: `Bearer ${adminKey}` },
    }).catch((error: unknown) => { throw notWritten(String(error)) })
    if (answer.status === 200) break
    t.equal(answer.status, 503, 'only projection-behind while the demo writes')
    if (/"demo":\{"outcome":"failed"/.test(service.output())) throw notWritten('the simulation failed')
    if (Date.now() - started > DEMO_WRITTEN_WITHIN_MS) throw notWritten(`not within ${DEMO_WRITTEN_WITHIN_MS} ms`)
  }

  const failures = join(dir, 'failures')
  writeFileSync(failures, '')
  const realCurl = (() => {
    try {
      return execFileSync('bash', ['-c', 'command -v curl'], { encoding: 'utf8' }).trim()
    } catch {
      throw new Error("the README's examples use curl, and there is none on PATH")
    }
  })()
  writeShims(bin, { realCurl, tsxLoader: pathToFileURL(require.resolve('tsx')).href, root: ROOT, baseUrl: service.url, failures })
  const sources = runnable.map((b, i) => `export README_TEST_BLOCK=${i}\n${substitute(b.source, adminKey, service.url)}`)
  const script = join(dir, 'session.sh')
  writeFileSync(script, sessionScript(sources))

  const outputFile = join(dir, 'output')
  const fd = openSync(outputFile, 'w')
  const env = { ...inherited(), PATH: `${bin}:${process.env.PATH ?? ''}`, LEDGER_DATA_DIR: data }
  const session = spawn('bash', [script], { cwd: work, env, stdio: ['ignore', fd, fd], detached: true })
  closeSync(fd)
  const sessionStarted = Date.now()
  const code = await new Promise<number | string>((resolve) => {
    const timer = setTimeout(() => process.kill(-session.pid!, 'SIGKILL'), SESSION_WITHIN_MS)
    session.on('exit', (c, signal) => {
      clearTimeout(timer)
      resolve(c ?? signal ?? -1)
    })
  })
  t.comment(`demo written in ${sessionStarted - started} ms, examples ran in ${Date.now() - sessionStarted} ms`)

  const output = readFileSync(outputFile, 'utf8')
  const failed = readFileSync(failures, 'utf8').split('\n').filter((l) => l !== '')
  runnable.forEach((b, i) => {
    const from = output.indexOf(blockMarker(i))
    const next = output.indexOf(i + 1 < runnable.length ? blockMarker(i + 1) : blockMarker('done'))
    const said = from < 0 ? '' : output.slice(from + blockMarker(i).length, next < 0 ? undefined : next)
    const where = `README.md:${b.line}`
    t.ok(from >= 0 && next >= 0, `${where} runs to its end`, { source: b.source, output: said })
    t.same(failed.filter((line) => line.startsWith(`block ${i}: `)), [],
      `${where}: every command exits 0, every curl is answered 2xx`, { output: said })
    t.notMatch(said, REFUSED_INSIDE, `${where}: no answer in it says something was refused`)
  })
  t.same(failed.filter((line) => !/^block \d+: /.test(line)), [], 'no failure outside a block', { output })
  t.equal(code, 0, 'the session exits 0')
})
