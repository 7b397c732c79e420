/**
 * Arguments: every command parses with node's `util.parseArgs` in strict mode, so an unknown
 * option or an unexpected argument is refused the same way everywhere, by name.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'

/** Bad arguments: the command prints the message with its usage and exits 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/**
 * parseArgs' own message says what is wrong in its first sentence ("Unknown option '--x'"), then
 * adds hints over several lines; the first sentence is kept.
 */
export function firstSentence(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0].split('. ')[0].replace(/\.$/, '')
}

type Options = NonNullable<ParseArgsConfig['options']>

/** Strict parseArgs; throws a UsageError naming what was refused. */
export function parseStrict<O extends Options>(args: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals })
  } catch (error) {
    throw new UsageError(firstSentence(error))
  }
}

/** `--help` or `-h` among a command's arguments (before a `--`): its help, whatever else is there. */
export function asksForHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--')
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h')
}
