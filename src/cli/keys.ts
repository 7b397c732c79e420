/**
 * `placement-ledger keys add|list|revoke`: the API keys of LEDGER_KEYS_FILE. A running server
 * sees every change within a second (KeyRing.refresh).
 *
 * `add`: the new key goes to stdout alone (so `KEY=$(placement-ledger keys add ...)` works) and
 * is never shown again; what was added goes to stderr. If no keys file exists yet, it is created
 * with just this key (no admin key is minted then).
 * `list`: id, role and operator of every key, never a hash. `revoke ID`: the key is removed.
 * A bad argument is one line naming it, then the usage, on stderr, and exit code 2.
 */
import { Role } from '../../events'
import { addKey, listKeys, revokeKey, type ListedKey } from '../auth/keys'
import { ConfigError, type Config } from '../config'
import { parseStrict, UsageError } from './args'
import { USAGE } from './help'

export interface KeysIo {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
}

const processIo: KeysIo = { stdout: process.stdout, stderr: process.stderr }

/** One line saying what is wrong, then the usage; exit code 2. */
function failure(io: KeysIo, command: string, usage: string) {
  return (message: string): number => {
    io.stderr.write(`keys ${command}: ${message}\n${usage}\n`)
    return 2
  }
}

/** Runs `work`; bad arguments (UsageError) and a keys file that says no (ConfigError) exit 2. */
function guarded(fail: (message: string) => number, work: () => number): number {
  try {
    return work()
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) return fail(err.message)
    throw err
  }
}

export async function runKeysAdd(args: string[], config: Pick<Config, 'keysFile'>, io: KeysIo = processIo): Promise<number> {
  const fail = failure(io, 'add', USAGE.keysAdd)
  return guarded(fail, () => {
    const { values } = parseStrict(args, { role: { type: 'string' }, operator: { type: 'string' }, id: { type: 'string' } })
    if (values.role === undefined) return fail('--role is required')
    const role = Role.safeParse(values.role)
    if (!role.success) return fail(`--role must be admin, operator, auditor or viewer, got '${values.role}'`)
    const { key, entry } = addKey(config.keysFile, {
      role: role.data,
      ...(values.operator === undefined ? {} : { operatorId: values.operator }),
      ...(values.id === undefined ? {} : { id: values.id }),
    })
    io.stdout.write(`${key}\n`)
    const { sha256: _hash, ...shown } = entry
    io.stderr.write(`added to ${config.keysFile}: ${JSON.stringify(shown)} (the key above is shown only once)\n`)
    return 0
  })
}

/** A table a person reads: a header, then one aligned row per key. */
export function keysTable(keys: readonly ListedKey[]): string {
  const rows = [['ID', 'ROLE', 'OPERATOR'], ...keys.map((k) => [k.id, k.role, k.operatorId ?? '-'])]
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)))
  return rows.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd()).join('\n') + '\n'
}

export async function runKeysList(args: string[], config: Pick<Config, 'keysFile'>, io: KeysIo = processIo): Promise<number> {
  return guarded(failure(io, 'list', USAGE.keysList), () => {
    const { values } = parseStrict(args, { json: { type: 'boolean' } })
    const keys = listKeys(config.keysFile)
    io.stdout.write(values.json ? `${JSON.stringify(keys)}\n` : keysTable(keys))
    return 0
  })
}

export async function runKeysRevoke(args: string[], config: Pick<Config, 'keysFile'>, io: KeysIo = processIo): Promise<number> {
  const fail = failure(io, 'revoke', USAGE.keysRevoke)
  return guarded(fail, () => {
    const { positionals } = parseStrict(args, {}, true)
    if (positionals.length !== 1) return fail('name one key ID (`keys list` shows them)')
    const { revoked, adminKeysLeft } = revokeKey(config.keysFile, positionals[0])
    io.stdout.write(`${JSON.stringify({ revoked })}\n`)
    // Not refused: the machine's owner can always mint one again, and may mean to lock the API.
    if (adminKeysLeft === 0) io.stderr.write('keys revoke: no admin key is left; `placement-ledger keys add --role admin` makes one\n')
    return 0
  })
}

export const KEYS_COMMANDS = { add: runKeysAdd, list: runKeysList, revoke: runKeysRevoke } as const
export type KeysCommand = keyof typeof KEYS_COMMANDS

export const isKeysCommand = (name: string | undefined): name is KeysCommand =>
  name !== undefined && Object.hasOwn(KEYS_COMMANDS, name)

/** `keys <add|list|revoke> ...`: an unknown or missing sub-command is named, with the usage. */
export async function runKeysCommand(args: string[], config: Pick<Config, 'keysFile'>, io: KeysIo = processIo): Promise<number> {
  const [name, ...rest] = args
  if (isKeysCommand(name)) return KEYS_COMMANDS[name](rest, config, io)
  const what = name === undefined ? 'name a command: add, list or revoke'
    : `unknown ${name.startsWith('-') ? 'option' : 'command'} '${name}': the commands are add, list and revoke`
  io.stderr.write(`keys: ${what}\n${USAGE.keys}\n`)
  return 2
}
