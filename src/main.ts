#!/usr/bin/env node
import { ConfigError, loadConfig } from './config'
import { runKeysAdd } from './cli/keys'
import { serve } from './cli/serve'
import { runSimulateCommand } from './cli/simulate'
import { openLedger } from './cli/context'
import { stdout } from './cli/output'

const USAGE = `usage: placement-ledger <command>
  serve [--demo]                          run the HTTP service (--demo: simulate a programme into an empty ledger)
  keys add --role R [--operator ID] [--id NAME]
  simulate --learners N [--seed S]        write a realistic programme through the command path`

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv
  let config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`placement-ledger: ${error.message}\n`)
      return 2
    }
    throw error
  }
  switch (command) {
    case 'serve':
      return serve(args, config)
    case 'keys':
      if (args[0] === 'add') return runKeysAdd(args.slice(1), config)
      break
    case 'simulate': {
      const ledger = await openLedger(config)
      try {
        return await runSimulateCommand(args, ledger.commands, stdout)
      } finally {
        await ledger.close()
      }
    }
    default:
      break
  }
  process.stderr.write(`${USAGE}\n`)
  return 2
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`placement-ledger: ${error.message}\n`)
      process.exitCode = 2
      return
    }
    process.stderr.write(`placement-ledger: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  },
)
