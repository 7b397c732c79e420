/**
 * The command line explains itself: --help/-h for the whole CLI and for every command on stdout
 * with exit 0 (even with a bad environment: help loads no configuration), --version, and an
 * unknown command or option named on stderr with exit 2, having created nothing.
 */
import { join } from 'node:path'
import t from 'tap'
import { version } from '../../package.json'
import { cli, listing, spawned, tempDir } from './support'

/** Every way in, with the usage line its help begins with. */
const COMMANDS: Array<[string[], string]> = [
  [['serve'], 'usage: placement-ledger serve'],
  [['keys'], 'usage: placement-ledger keys'],
  [['keys', 'add'], 'usage: placement-ledger keys add'],
  [['keys', 'list'], 'usage: placement-ledger keys list'],
  [['keys', 'revoke'], 'usage: placement-ledger keys revoke'],
  [['simulate'], 'usage: placement-ledger simulate'],
  [['import'], 'usage: placement-ledger import'],
  [['replay'], 'usage: placement-ledger replay'],
  [['verify'], 'usage: placement-ledger verify'],
  [['export'], 'usage: placement-ledger export'],
  [['restore'], 'usage: placement-ledger restore'],
  [['erase'], 'usage: placement-ledger erase'],
]

/** An environment loadConfig refuses: help must not need it. */
const BAD_ENV = { PORT: 'not-a-port' }

t.test('--help and -h: the overview on stdout, exit 0, naming every command', async (t) => {
  for (const flag of ['--help', '-h']) {
    const run = await cli([flag], BAD_ENV)
    t.equal(run.code, 0, flag)
    t.equal(run.stderr, '')
    t.match(run.stdout, /^usage: placement-ledger <command>/)
    for (const [[name]] of COMMANDS) t.match(run.stdout, new RegExp(`\\n  ${name} `), `${flag} lists ${name}`)
  }
  const help = await cli(['help'], BAD_ENV)
  t.equal(help.code, 0)
  t.equal(help.stdout, (await cli(['--help'])).stdout, '`help` is the same overview')
})

t.test('every command answers --help and -h on stdout with exit 0, whatever else is on the line', async (t) => {
  for (const [words, usage] of COMMANDS) {
    const texts = new Set<string>()
    for (const args of [[...words, '--help'], [...words, '-h'], [...words, '--no-such-option', '-h'], ['help', ...words]]) {
      const run = await cli(args, BAD_ENV)
      t.equal(run.code, 0, args.join(' '))
      t.equal(run.stderr, '', `${args.join(' ')}: nothing on stderr`)
      t.ok(run.stdout.startsWith(`${usage}`), `${args.join(' ')}: ${usage}`)
      texts.add(run.stdout)
    }
    t.equal(texts.size, 1, `${words.join(' ')}: one help, however asked`)
  }
  t.match((await cli(['restore', '--help'])).stdout, /--accept-erased/, 'restore documents its flag')
})

t.test('--version prints the package version', async (t) => {
  const run = await cli(['--version'], BAD_ENV)
  t.same(run, { code: 0, stdout: `${version}\n`, stderr: '' })
})

t.test('an unknown command or option is named on stderr, exit 2, nothing created', async (t) => {
  const dataDir = join(tempDir(t), 'data')
  const env = { LEDGER_DATA_DIR: dataDir }
  const cases: Array<[string[], RegExp]> = [
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['help', 'frobnicate'], /unknown command 'frobnicate'/],
    [['--frobnicate'], /unknown option '--frobnicate'/],
    [['keys', 'rotate'], /unknown command 'rotate'/],
    [['keys', '--all'], /unknown option '--all'/],
    [['keys'], /name a command: add, list or revoke/],
  ]
  for (const [words] of COMMANDS) {
    if (words.length === 1 && words[0] === 'keys') continue
    cases.push([[...words, '--no-such-option'], /Unknown option '--no-such-option'/])
  }
  cases.push([['serve', 'now'], /Unexpected argument 'now'/])
  cases.push([['replay', '--as-of'], /Option '--as-of <value>' argument missing/])
  for (const [args, message] of cases) {
    const run = await cli(args, env)
    t.equal(run.code, 2, args.join(' '))
    t.match(run.stderr, message, `${args.join(' ')} names what is wrong`)
    t.equal(run.stdout, '', `${args.join(' ')}: nothing on stdout`)
  }
  t.equal(listing(dataDir), undefined, 'the data directory was never created')
})

t.test('no command: the overview on stderr, exit 2', async (t) => {
  const run = await cli([])
  t.equal(run.code, 2)
  t.equal(run.stdout, '')
  t.match(run.stderr, /^usage: placement-ledger <command>/)
})

t.test('as a real process: streams and exit codes', async (t) => {
  const dir = tempDir(t)
  const help = await spawned(['serve', '--help'], { ...BAD_ENV, LEDGER_DATA_DIR: dir })
  t.equal(help.code, 0)
  t.match(help.stdout, /^usage: placement-ledger serve/)
  t.equal(help.stderr, '')

  const versioned = await spawned(['--version'])
  t.same(versioned, { code: 0, stdout: `${version}\n`, stderr: '' })

  const unknown = await spawned(['verify', '--fast'], { LEDGER_DATA_DIR: dir })
  t.equal(unknown.code, 2)
  t.equal(unknown.stdout, '')
  t.match(unknown.stderr, /^verify: Unknown option '--fast' \(usage: placement-ledger verify\)\n$/, 'one line')

  const badConfig = await spawned(['verify'], BAD_ENV)
  t.equal(badConfig.code, 2)
  t.match(badConfig.stderr, /^placement-ledger: PORT must be [^\n]+\n$/, 'a bad variable is one line')
})
