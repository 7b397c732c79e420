/**
 * API keys. The keys file holds only SHA-256 hashes; a raw key exists in memory for the length
 * of one request (or one `keys add`) and is never stored or logged. The file is rewritten
 * atomically (temp file + rename, mode 0600), so a running server that re-reads it (KeyRing.
 * refresh) never sees half a file; `keys add` and `keys revoke` have no lock, so two at the
 * same instant may lose one.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import { Actor, Id, Role, Sha256Hex } from '../../events'
import { ConfigError, reason } from '../config'
import { createFileExclusive } from './create-exclusive'

export const ApiKeyEntry = z
  .strictObject({ id: Id, role: Role, operatorId: Id.optional(), sha256: Sha256Hex })
  .check((ctx) => {
    const { role, operatorId } = ctx.value
    if (role === 'operator' && operatorId === undefined) {
      ctx.issues.push({ code: 'custom', input: ctx.value, path: ['operatorId'], message: 'an operator key needs an operatorId' })
    }
    if (role !== 'operator' && operatorId !== undefined) {
      ctx.issues.push({ code: 'custom', input: ctx.value, path: ['operatorId'], message: `a ${role} key has no operatorId` })
    }
  })
export type ApiKeyEntry = z.infer<typeof ApiKeyEntry>

const KeysFileSchema = z.array(ApiKeyEntry)

export const hashKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex')

/** 32 random bytes, base64url: 43 characters that survive shells and headers unquoted. */
export const generateKey = (): string => randomBytes(32).toString('base64url')

export const actorFor = (entry: ApiKeyEntry): Actor =>
  entry.operatorId === undefined ? { keyId: entry.id, role: entry.role } : { keyId: entry.id, role: entry.role, operatorId: entry.operatorId }

/** Reads and validates the keys file; any problem is a ConfigError of one line. */
export function readKeysFile(file: string): ApiKeyEntry[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`LEDGER_KEYS_FILE '${file}' cannot be read: ${reason(err)}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new ConfigError(`LEDGER_KEYS_FILE '${file}' is not valid JSON`)
  }
  const parsed = KeysFileSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const where = issue.path.length > 0 ? ` at ${issue.path.join('.')}` : ''
    throw new ConfigError(`LEDGER_KEYS_FILE '${file}' is invalid${where}: ${issue.message}`)
  }
  const seen = new Set<string>()
  for (const entry of parsed.data) {
    if (seen.has(entry.id)) throw new ConfigError(`LEDGER_KEYS_FILE '${file}' has two keys with id '${entry.id}'`)
    seen.add(entry.id)
  }
  return parsed.data
}

function writeKeysFile(file: string, entries: readonly ApiKeyEntry[], flag: 'w' | 'wx'): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  const text = `${JSON.stringify(entries, null, 2)}\n`
  if (flag === 'wx') {
    // Exclusive: two servers starting at once must not both mint an admin key.
    createFileExclusive(file, text, 0o600)
    return
  }
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  writeFileSync(temp, text, { flag: 'wx', mode: 0o600 })
  renameSync(temp, file)
}

/** First start: no keys file yet, so create one with an admin key the caller prints once. */
export function ensureKeysFile(file: string): { created: boolean; adminKey?: string } {
  if (existsSync(file)) return { created: false }
  const adminKey = generateKey()
  try {
    writeKeysFile(file, [{ id: 'admin', role: 'admin', sha256: hashKey(adminKey) }], 'wx')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { created: false }
    throw new ConfigError(`LEDGER_KEYS_FILE '${file}' cannot be created: ${reason(err)}`)
  }
  return { created: true, adminKey }
}

export interface AddKeyRequest {
  role: Role
  operatorId?: string
  id?: string
}

/** Mints a key, stores its hash, and returns the key: the only moment it can be shown. */
export function addKey(file: string, request: AddKeyRequest): { key: string; entry: ApiKeyEntry } {
  const { role, operatorId } = request
  if (role === 'operator' && operatorId === undefined) throw new ConfigError('an operator key needs --operator <operatorId>')
  if (role !== 'operator' && operatorId !== undefined) throw new ConfigError(`--operator is only for operator keys, not ${role}`)
  const entries = existsSync(file) ? readKeysFile(file) : []
  const id = request.id ?? `${operatorId ?? role}-${randomBytes(3).toString('hex')}`
  if (entries.some((e) => e.id === id)) throw new ConfigError(`a key with id '${id}' already exists in ${file}`)
  const key = generateKey()
  const parsed = ApiKeyEntry.safeParse({ id, role, ...(operatorId === undefined ? {} : { operatorId }), sha256: hashKey(key) })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new ConfigError(`invalid key ${issue.path.join('.') || 'entry'}: ${issue.message}`)
  }
  try {
    writeKeysFile(file, [...entries, parsed.data], 'w')
  } catch (err) {
    throw new ConfigError(`LEDGER_KEYS_FILE '${file}' cannot be written: ${reason(err)}`)
  }
  return { key, entry: parsed.data }
}

/** What `keys list` shows of an entry: never its hash, which is as good as the key to a dictionary of leaked keys. */
export type ListedKey = Omit<ApiKeyEntry, 'sha256'>

export const listedKey = ({ sha256: _hash, ...shown }: ApiKeyEntry): ListedKey => shown

export function listKeys(file: string): ListedKey[] {
  if (!existsSync(file)) throw new ConfigError(`there is no keys file at '${file}' yet: \`serve\` makes one on first start, \`keys add\` too`)
  return readKeysFile(file).map(listedKey)
}

/**
 * Removes the key `id` from the file; a running server stops accepting it at its next re-read
 * (KeyRing.refresh, within a second). Returns what was removed and how many admin keys remain.
 */
export function revokeKey(file: string, id: string): { revoked: ListedKey; adminKeysLeft: number } {
  if (!existsSync(file)) throw new ConfigError(`there is no keys file at '${file}': no key to revoke`)
  const entries = readKeysFile(file)
  const entry = entries.find((e) => e.id === id)
  if (entry === undefined) throw new ConfigError(`no key with id '${id}' in ${file} (\`keys list\` shows the ids)`)
  const kept = entries.filter((e) => e !== entry)
  try {
    writeKeysFile(file, kept, 'w')
  } catch (err) {
    throw new ConfigError(`LEDGER_KEYS_FILE '${file}' cannot be written: ${reason(err)}`)
  }
  return { revoked: listedKey(entry), adminKeysLeft: kept.filter((e) => e.role === 'admin').length }
}

const MISSING = 'missing'

interface Held {
  entry: ApiKeyEntry
  digest: Buffer
}

export interface KeyRingOptions {
  /** How often refresh() may stat the file; 0 = every call. */
  recheckMs?: number
  now?: () => number
}

/**
 * The keys a server accepts. `refresh()` re-reads the file when it changed (checked at most
 * once per `recheckMs`), so `keys add` and revocations take effect without a restart; a file
 * that became invalid is reported and the previous keys are kept.
 */
export class KeyRing {
  private held: Held[]
  private signature: string | undefined
  private badSignature: string | undefined
  private checkedAt = Number.NEGATIVE_INFINITY
  private readonly recheckMs: number
  private readonly now: () => number

  constructor(entries: readonly ApiKeyEntry[], private readonly file?: string, options: KeyRingOptions = {}) {
    this.held = KeyRing.hold(entries)
    this.recheckMs = options.recheckMs ?? 1000
    this.now = options.now ?? (() => performance.now())
    this.signature = file === undefined ? undefined : KeyRing.signatureOf(file)
  }

  private static hold(entries: readonly ApiKeyEntry[]): Held[] {
    return entries.map((entry) => ({ entry, digest: Buffer.from(entry.sha256, 'hex') }))
  }

  private static signatureOf(file: string): string {
    try {
      const s = statSync(file)
      return `${s.ino}:${s.size}:${s.mtimeMs}`
    } catch {
      return MISSING
    }
  }

  get size(): number {
    return this.held.length
  }

  /**
   * Compares the presented key's hash with every stored hash, without stopping at a match, so
   * the time taken says nothing about which key, or how much of one, was right.
   */
  authenticate(presented: string): ApiKeyEntry | undefined {
    const digest = createHash('sha256').update(presented, 'utf8').digest()
    let found: ApiKeyEntry | undefined
    for (const { entry, digest: stored } of this.held) {
      if (timingSafeEqual(digest, stored) && found === undefined) found = entry
    }
    return found
  }

  /**
   * Re-reads the file if it changed; returns an error once per bad version of the file. `force`
   * skips the once-per-`recheckMs` limit (a key just added is used at once; a stat costs little).
   */
  refresh(force = false): { reloaded: boolean; error?: ConfigError } {
    if (this.file === undefined) return { reloaded: false }
    const now = this.now()
    if (!force && now - this.checkedAt < this.recheckMs) return { reloaded: false }
    this.checkedAt = now
    const signature = KeyRing.signatureOf(this.file)
    if (signature === this.signature || signature === this.badSignature) return { reloaded: false }
    try {
      if (signature === MISSING) throw new ConfigError(`LEDGER_KEYS_FILE '${this.file}' has disappeared`)
      this.held = KeyRing.hold(readKeysFile(this.file))
      this.signature = signature
      this.badSignature = undefined
      return { reloaded: true }
    } catch (err) {
      this.badSignature = signature
      return { reloaded: false, error: err instanceof ConfigError ? err : new ConfigError(reason(err)) }
    }
  }
}

export function loadKeys(file: string, options?: KeyRingOptions): KeyRing {
  return new KeyRing(readKeysFile(file), file, options)
}
