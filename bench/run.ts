/**
 * `npm run bench [-- --only appends,rebuild --learners N --seconds S]`: runs the benchmarks and
 * prints one table, each figure beside its baseline (measured in the same run) and their ratio.
 * The table also goes to bench/out/results-<time>.md. Never part of `npm test`.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { cpus, freemem, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { benchAppends } from './appends'
import { benchColdStart } from './coldstart'
import { benchEsdb } from './esdb'
import { benchImport } from './import'
import { bareBatchedInsert } from './import-baseline'
import { benchLedger, DEFAULT_LEARNERS, type BuiltLedger } from './ledger'
import { benchReads } from './reads'
import { benchRebuild } from './rebuild'
import { benchSnapshots } from './snapshots'
import { log, MAIN, OUT, ratioOf, type Figure } from './support'

const BENCHES = ['appends', 'import', 'rebuild', 'snapshots', 'coldstart', 'reads', 'esdb'] as const
type BenchName = (typeof BENCHES)[number]

const USAGE = `usage: npm run bench -- [--only ${BENCHES.join(',')}] [--learners N] [--seconds S] [--connections C] [--rows R]`

function options() {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      learners: { type: 'string', default: String(DEFAULT_LEARNERS) },
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: '64' },
      rows: { type: 'string', default: '100000' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    process.stdout.write(`${USAGE}\n`)
    process.exit(0)
  }
  const only = values.only === undefined ? [...BENCHES] : values.only.split(',').map((s) => s.trim())
  for (const name of only) if (!(BENCHES as readonly string[]).includes(name)) throw new Error(`unknown bench '${name}' (${USAGE})`)
  return {
    only: only as BenchName[],
    learners: Number(values.learners),
    seconds: Number(values.seconds),
    connections: Number(values.connections),
    rows: Number(values.rows),
  }
}

function machine(): string {
  const model = cpus()[0]?.model ?? 'unknown CPU'
  const gib = (n: number) => `${(n / 2 ** 30).toFixed(1)} GiB`
  const load = loadavg().map((l) => l.toFixed(1)).join(' ')
  let disk = ''
  try {
    disk = execFileSync('df', ['-h', OUT], { encoding: 'utf8' }).trim().split('\n')[1]?.split(/\s+/)[0] ?? ''
  } catch {
    disk = ''
  }
  return `${cpus().length} cores (${model}), ${gib(totalmem())} RAM (${gib(freemem())} free), Node ${process.version}, disk ${disk}, load average ${load}`
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2))

export function table(figures: Figure[]): string {
  const rows = figures.map((f) => {
    const ratio = ratioOf(f)
    return [
      f.bench, f.measure, `${fmt(f.value)} ${f.unit}`,
      f.baseline === undefined ? '' : `${fmt(f.baseline.value)} ${f.unit} (${f.baseline.name})`,
      ratio === undefined ? '' : `${ratio.toFixed(2)}x`,
      f.target ?? '', f.met === undefined ? '' : f.met ? 'met' : 'MISSED',
      f.note ?? '',
    ]
  })
  const head = ['bench', 'measure', 'value', 'baseline', 'ratio', 'target', '', 'note']
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n')
}

/** bench/import.ts (the importer's own benchmark) against a bare batched insert of its envelopes. */
async function importFigure(rows: number): Promise<Figure> {
  const bare = bareBatchedInsert(rows)
  const result = await benchImport(rows)
  const { accepted, rejected, duplicate } = result.totals
  log(`import: ${result.rowsPerSecond.toFixed(0)} rows/s (accepted ${accepted}, rejected ${rejected}, duplicate ${duplicate}); bare ${bare.toFixed(0)} rows/s`)
  return {
    bench: 'import', measure: `import of ${rows.toLocaleString('en')} NDJSON rows (bench/import.ts)`, value: result.rowsPerSecond, unit: 'rows/s',
    baseline: { name: 'bare batched insert, 1,000 a transaction', value: bare }, target: '>= 0.5x', met: result.rowsPerSecond >= 0.5 * bare,
    note: `CPU ${result.cpuSeconds.toFixed(0)} s of ${result.importSeconds.toFixed(0)} s${rejected > 0 ? `; ${rejected} rows rejected` : ''}`,
  }
}

async function main(): Promise<void> {
  const o = options()
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run bench\` (it builds first)`)
  const before = machine()
  log(`machine: ${before}`)
  const figures: Figure[] = []
  let ledger: BuiltLedger | undefined
  const large = async () => (ledger ??= await benchLedger(o.learners))
  for (const name of o.only) {
    log(`--- ${name}`)
    switch (name) {
      case 'appends':
        figures.push(...await benchAppends({ seconds: o.seconds, connections: o.connections }))
        break
      case 'import':
        figures.push(await importFigure(o.rows))
        break
      case 'rebuild':
        figures.push(...await benchRebuild(await large()))
        break
      case 'snapshots':
        figures.push(...await benchSnapshots(await large()))
        break
      case 'coldstart':
        figures.push(...await benchColdStart(await large()))
        break
      case 'reads':
        figures.push(...await benchReads(await large(), { seconds: o.seconds, connections: o.connections }))
        break
      case 'esdb':
        figures.push(...await benchEsdb({ seconds: o.seconds, connections: o.connections, rows: o.rows }))
        break
      default: {
        const _: never = name
        throw new Error(`unknown bench ${String(_)}`)
      }
    }
  }
  const built = ledger === undefined ? '' : `\nLarge ledger: ${ledger.learners.toLocaleString('en')} learners, ${ledger.events.toLocaleString('en')} events, built by ${ledger.buildMode} in ${ledger.buildSeconds.toFixed(0)} s.`
  const text = `Machine: ${before}\nAt the end: load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}${built}\n\n${table(figures)}\n`
  process.stdout.write(`\n${text}`)
  mkdirSync(OUT, { recursive: true })
  writeFileSync(join(OUT, `results-${new Date().toISOString().replace(/[:.]/g, '-')}.md`), text)
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
  process.exitCode = 1
})
