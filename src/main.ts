#!/usr/bin/env node
import { ConfigError, loadConfig } from './config'
import { runReplayCommand, runVerifyCommand } from './cli/audit'
import { runImportCommand } from './cli/import'
import { runEraseCommand } from './cli/erase'
import { runKeysAdd } from './cli/keys'
import { serve } from './cli/serve'
import { runSimulateCommand } from './cli/simulate'
import { configuredStore, runExportCommand, runRestoreCommand } from './cli/transfer'
import { openLedger } from './cli/context'
import { stdout } from './cli/output'

const USAGE = `usage: placement-ledger <command>
  serve [--demo]                          run the HTTP service (--demo: simulate a programme into an empty ledger)
  keys add --role R [--operator ID] [--id NAME]
  simulate --learners N [--seed S]        write a realistic programme through the command path
  replay [--known-at T] [--as-of D]       rebuild every projection in isolation: position, digest, figures (JSON)
  verify                                  recompute every hash chain: first break and digest (JSON; exit 1 on a break)
  import FILE [--type T] [--dry-run] [--report out.csv|out.json]
                                          import learner events from NDJSON or CSV (exit 1 if a row was rejected)
  export                                  every stored event as NDJSON on stdout, in log order
  erase LEARNER_ID [--reason R]           erase a learner's personal data (destroys its key; the events stay)
  restore FILE                            write an export into an EMPTY store, ids, revisions, recordedAt and hashes kept (JSON summary)`

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
    case 'replay':
      return runReplayCommand(args, config)
    case 'verify':
      return runVerifyCommand(args, config)
    case 'import':
      return runImportCommand(args, () => openLedger(config), stdout)
    case 'erase':
      return runEraseCommand(args, { openLedger: () => openLedger(config) })
    case 'export':
      return runExportCommand(args, { openStore: configuredStore(config, { createDataDir: false }) })
    case 'restore':
      return runRestoreCommand(args, { openStore: configuredStore(config, { createDataDir: true }) })
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
