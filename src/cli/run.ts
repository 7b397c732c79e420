/**
 * The command line's front door: `--help`, `--version`, `help [COMMAND]`, then one command.
 * Help goes to stdout with exit 0; an unknown command or option is named on stderr with exit 2.
 */
import { version } from '../../package.json'
import { ConfigError, loadConfig } from '../config'
import { asksForHelp } from './args'
import { COMMANDS } from './commands'
import { HELP, OVERVIEW } from './help'
import { processIo, type CliIo } from './output'

const LIST = 'placement-ledger --help lists the commands'

/** Runs `placement-ledger <argv>`; resolves with the exit code. `env`: the environment (tests pass their own). */
export async function runCli(argv: string[], io: CliIo = processIo, env?: NodeJS.ProcessEnv): Promise<number> {
  const [name, ...args] = argv
  if (name === undefined) {
    io.err.write(OVERVIEW)
    return 2
  }
  if (name === '--help' || name === '-h') return help(io, OVERVIEW)
  if (name === '--version') return help(io, `${version}\n`)
  if (name === 'help') return helpCommand(args, io)
  if (name.startsWith('-')) return refuse(io, `unknown option '${name}' (${LIST})`)
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  if (command === undefined) return refuse(io, `unknown command '${name}' (${LIST})`)
  if (asksForHelp(args)) return help(io, command.help(args))
  let config
  try {
    config = loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return refuse(io, error.message)
    throw error
  }
  try {
    return await command.run(args, config, io)
  } catch (error) {
    // A data directory, keys file or pepper that says no: one line, as for a bad variable.
    if (error instanceof ConfigError) return refuse(io, error.message)
    throw error
  }
}

function help(io: CliIo, text: string): number {
  io.out.write(text)
  return 0
}

function refuse(io: CliIo, message: string): number {
  io.err.write(`placement-ledger: ${message}\n`)
  return 2
}

/** `help`, `help COMMAND`, `help keys add`. */
function helpCommand(args: string[], io: CliIo): number {
  const [name, ...rest] = args
  if (name === undefined) return help(io, OVERVIEW)
  if (name === 'help') return help(io, HELP.help)
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  if (command === undefined) return refuse(io, `unknown command '${name}' (${LIST})`)
  return help(io, command.help(rest))
}
