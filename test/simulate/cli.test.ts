import t from 'tap'
import { parseSimulateArgs, runSimulateCommand } from '../../src/cli/simulate'
import { StoreUnavailable } from '../../src/errors'
import { RecordingCommands } from './recording'

function output(isTTY: boolean) {
  const chunks: string[] = []
  return { isTTY, write: (s: string) => void chunks.push(s), text: () => chunks.join(''), chunks }
}

t.test('bad arguments: exit code 2, one clear line on stderr, nothing written', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [[], /--learners is required/],
    [['--learners'], /argument missing/],
    [['--learners', '0'], /--learners must be a whole number from 1 to 1000000, not "0"/],
    [['--learners', '1000001'], /from 1 to 1000000/],
    [['--learners', '12abc'], /not "12abc"/],
    [['--learners', '-5'], /--learners/],
    [['--learners', '10', '--seed', '1.5'], /--seed must be a whole number from 0 to 4294967295, not "1.5"/],
    [['--learners', '10', '--seed', '4294967296'], /--seed/],
    [['--learners', '10', '--colour', 'blue'], /Unknown option '--colour'/],
    [['--learners', '10', 'extra'], /Unexpected argument 'extra'/],
  ]
  for (const [args, message] of cases) {
    const out = output(false)
    const err = output(false)
    const commands = new RecordingCommands()
    t.equal(await runSimulateCommand(args, commands, out, err), 2, args.join(' '))
    t.match(err.text(), message)
    t.match(err.text(), /^simulate: [^\n]+\n$/, 'one line')
    t.equal(out.text(), '', 'nothing on stdout')
    t.equal(commands.calls.length, 0)
  }
})

t.test('arguments: --learners required, --seed defaults to 1, both forms of option', async (t) => {
  t.same(parseSimulateArgs(['--learners', '25']), { learners: 25, seed: 1 })
  t.same(parseSimulateArgs(['--learners=1000000', '--seed=0']), { learners: 1_000_000, seed: 0 })
  t.same(parseSimulateArgs(['--seed', '42', '--learners', '3']), { learners: 3, seed: 42 })
})

t.test('piped: no progress, only the JSON summary line', async (t) => {
  const out = output(false)
  const commands = new RecordingCommands()
  t.equal(await runSimulateCommand(['--learners', '30', '--seed', '3'], commands, out), 0)
  t.equal(out.chunks.length, 1)
  const summary = JSON.parse(out.text())
  t.match(summary, { seed: 3, learners: 30, operators: 10, alreadyRecorded: 0 })
  t.equal(summary.events, commands.calls.reduce((n, c) => n + (c.method === 'appendLearnerEvents' ? c.events.length : 1), 0))
  t.ok(out.text().endsWith('}\n'))
})

t.test('on a terminal: one updating progress line, then the summary on its own line', async (t) => {
  const out = output(true)
  t.equal(await runSimulateCommand(['--learners', '50'], new RecordingCommands(), out), 0)
  const text = out.text()
  const lines = text.split('\n')
  t.equal(lines.length, 3, 'progress line, summary line, final newline')
  t.match(lines[0], /^\rsimulate: 1 of \d+ steps/)
  t.notMatch(lines[0], /\n/)
  t.match(lines[0], /\rsimulate: (\d+) of \1 steps \(100\.0%\)\x1b\[K$/)
  t.match(JSON.parse(lines[1]), { seed: 1, learners: 50 })
  t.equal(lines[2], '')
})

t.test('a command that fails: exit code 1 and a line on stderr saying where', async (t) => {
  const out = output(false)
  const err = output(false)
  const commands = new RecordingCommands()
  commands.failWith = (call) => (call.method === 'openCohort' ? new StoreUnavailable() : undefined)
  t.equal(await runSimulateCommand(['--learners', '5'], commands, out, err), 1)
  t.equal(out.text(), '')
  t.match(err.text(), /^simulate: stopped at cohort C-0001: store-unavailable: the event store cannot be reached; nothing was written\n$/)
})
