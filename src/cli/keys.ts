/**
 * `placement-ledger keys add --role R [--operator ID] [--id NAME]`: the new key goes to stdout
 * alone (so `KEY=$(placement-ledger keys add ...)` works) and is never shown again; what was
 * added goes to stderr. A running server picks the key up within a second (KeyRing.refresh).
 * If no keys file exists yet, it is created with just this key (no admin key is minted then).
 */
import { parseArgs } from 'node:util'
import { Role } from '../../events'
import { addKey } from '../auth/keys'
import { ConfigError, type Config } from '../config'

export interface KeysIo {
  stdout: { write(text: string): unknown }
  stderr: { write(text: string): unknown }
}

const USAGE = 'usage: placement-ledger keys add --role admin|operator|auditor|viewer [--operator ID] [--id NAME]'

export async function runKeysAdd(
  args: string[],
  config: Pick<Config, 'keysFile'>,
  io: KeysIo = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const fail = (message: string) => {
    io.stderr.write(`keys add: ${message}\n${USAGE}\n`)
    return 2
  }
  let values: { role?: string; operator?: string; id?: string }
  try {
    ;({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: { role: { type: 'string' }, operator: { type: 'string' }, id: { type: 'string' } },
    }))
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err))
  }
  if (values.role === undefined) return fail('--role is required')
  const role = Role.safeParse(values.role)
  if (!role.success) return fail(`--role must be admin, operator, auditor or viewer, got '${values.role}'`)
  try {
    const { key, entry } = addKey(config.keysFile, {
      role: role.data,
      ...(values.operator === undefined ? {} : { operatorId: values.operator }),
      ...(values.id === undefined ? {} : { id: values.id }),
    })
    io.stdout.write(`${key}\n`)
    const { sha256: _hash, ...shown } = entry
    io.stderr.write(`added to ${config.keysFile}: ${JSON.stringify(shown)} (the key above is shown only once)\n`)
    return 0
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.message)
    throw err
  }
}
