#!/usr/bin/env node
/** `placement-ledger`: see src/cli/run.ts (bin/placement-ledger runs the build of this file). */
import { runCli } from './cli/run'

runCli(process.argv.slice(2)).then(
  (code) => { process.exitCode = code },
  (error: unknown) => {
    // The unexpected: one line, not a stack trace; exit 1 as for any failed work.
    process.stderr.write(`placement-ledger: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  },
)
