/**
 * The commands of `placement-ledger`: each one's help and how it runs. The configuration is
 * loaded only for a command that runs, so `--help` answers even with a bad environment.
 */
import type { Config } from '../config'
import { runReplayCommand, runVerifyCommand } from './audit'
import { openLedger } from './context'
import { runEraseCommand } from './erase'
import { HELP } from './help'
import { runImportCommand } from './import'
import { isKeysCommand, runKeysCommand } from './keys'
import { writableOf, type CliIo } from './output'
import { serve } from './serve'
import { simulateCommand } from './simulate'
import { keyPlace } from './restore-keys'
import { configuredStore, readOnlyStore, runExportCommand, runRestoreCommand } from './transfer'

export interface CliCommand {
  /** The help for these arguments: a command with sub-commands (keys) answers for the one named. */
  help(args: readonly string[]): string
  run(args: string[], config: Config, io: CliIo): Promise<number>
}

const KEYS_HELP = { add: HELP.keysAdd, list: HELP.keysList, revoke: HELP.keysRevoke } as const

export const COMMANDS: Record<string, CliCommand> = {
  serve: { help: () => HELP.serve, run: serve },
  keys: {
    help: ([name]) => (isKeysCommand(name) ? KEYS_HELP[name] : HELP.keys),
    run: (args, config, io) => runKeysCommand(args, config, { stdout: io.out, stderr: io.err }),
  },
  simulate: { help: () => HELP.simulate, run: simulateCommand },
  import: {
    help: () => HELP.import,
    run: (args, config, io) => runImportCommand(args, () => openLedger(config), io.out, io.err),
  },
  replay: {
    help: () => HELP.replay,
    run: (args, config, io) => runReplayCommand(args, config, { out: io.out, err: (text) => io.err.write(text) }),
  },
  verify: {
    help: () => HELP.verify,
    run: (args, config, io) => runVerifyCommand(args, config, { out: io.out, err: (text) => io.err.write(text) }),
  },
  export: {
    help: () => HELP.export,
    run: (args, config, io) => runExportCommand(args, { openStore: readOnlyStore(config), out: writableOf(io.out), err: (text) => io.err.write(text) }),
  },
  restore: {
    help: () => HELP.restore,
    run: (args, config, io) => runRestoreCommand(args, {
      openStore: configuredStore(config),
      summary: io.out,
      err: (text) => io.err.write(text),
      keys: () => keyPlace(config),
    }),
  },
  erase: {
    help: () => HELP.erase,
    run: (args, config, io) => runEraseCommand(args, { openLedger: () => openLedger(config), out: io.out, err: (text) => io.err.write(text) }),
  },
}
