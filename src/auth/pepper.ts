/**
 * The pepper keys `personKey`, so the ledger never holds a national id, nor anything a
 * dictionary of national ids could reverse without the pepper.
 *
 * The generated pepper file holds text (32 random bytes, base64url) and the HMAC key is always
 * the UTF-8 bytes of that text, exactly as for LEDGER_PEPPER: `LEDGER_PEPPER=$(cat data/pepper)`
 * therefore gives the same personKeys, which is what moving a ledger to another host needs.
 */
import { createHmac, randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { badRequest } from '../errors'
import { ConfigError, reason, type Config } from '../config'
import { createFileExclusive } from './create-exclusive'

const MIN_LENGTH = 32

export const pepperFile = (config: Pick<Config, 'dataDir'>): string => path.join(config.dataDir, 'pepper')

function readPepperFile(file: string): Buffer {
  let text: string
  try {
    text = readFileSync(file, 'utf8').trim()
  } catch (err) {
    throw new ConfigError(`the pepper file '${file}' cannot be read: ${reason(err)}`)
  }
  if (text.length < MIN_LENGTH) {
    throw new ConfigError(`the pepper file '${file}' holds fewer than ${MIN_LENGTH} characters; restore it from a backup`)
  }
  return Buffer.from(text, 'utf8')
}

/** LEDGER_PEPPER if set; else the pepper file, created on first start and reused after. */
export function loadPepper(config: Pick<Config, 'dataDir' | 'pepper'>): Buffer {
  if (config.pepper !== undefined) return Buffer.from(config.pepper, 'utf8')
  const file = pepperFile(config)
  try {
    // Exclusive create: if it already exists (or another process just made it) we read it instead.
    createFileExclusive(file, `${randomBytes(32).toString('base64url')}\n`, 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new ConfigError(`the pepper file '${file}' cannot be created: ${reason(err)}`)
    }
  }
  return readPepperFile(file)
}

/** LEDGER_PEPPER if set, else the pepper file if there is one; never creates it (the commands that only read). */
export function existingPepper(config: Pick<Config, 'dataDir' | 'pepper'>): Buffer | undefined {
  if (config.pepper !== undefined) return Buffer.from(config.pepper, 'utf8')
  const file = pepperFile(config)
  return existsSync(file) ? readPepperFile(file) : undefined
}

/** domain.md: trim, upper-case, drop spaces, dots and dashes. */
export const normaliseNationalId = (nationalId: string): string => nationalId.trim().toUpperCase().replace(/[\s.-]/g, '')

/** HMAC-SHA256 (hex) of the normalised national id. */
export function personKey(pepper: Buffer, nationalId: string): string {
  const normalised = normaliseNationalId(nationalId)
  // Every empty-looking id would otherwise share one personKey.
  if (normalised === '') throw badRequest('nationalId holds nothing but spaces, dots and dashes')
  return createHmac('sha256', pepper).update(normalised, 'utf8').digest('hex')
}
