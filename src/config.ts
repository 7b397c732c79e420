/**
 * The one place that reads the environment. Each variable is parsed on its own so that a bad
 * value stops start-up with one line naming that variable (main.ts prints it and exits 2).
 * Unset and empty mean the same: `VAR=` in a compose file should give the default.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'

export class ConfigError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ConfigError'
  }
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]
export const LOG_FORMATS = ['json', 'pretty'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

export interface Config {
  port: number
  host: string
  /** Absolute. The embedded store, the keys file and the pepper live here. */
  dataDir: string
  /** Set: EventStoreDB/KurrentDB; unset: the embedded SQLite store in dataDir. */
  eventstoreConnectionString?: string
  /** Absolute. */
  keysFile: string
  /** LEDGER_PEPPER; unset: the pepper file in dataDir (auth/pepper.ts). */
  pepper?: string
  logLevel: LogLevel
  /** LOG_FORMAT; unset: human-readable on a terminal, JSON lines otherwise (http/plugins/logging.ts). */
  logFormat?: LogFormat
  rateLimitPerMinute: number
  /** Rows of imports (dry runs included) a key may send a minute; a file may overdraw it once (app/import/limits.ts). */
  importRowsPerMinute: number
  /** Rows of dry-run imports a key may send an hour, never overdrawn; 0: no dry runs. */
  importDryRunRowsPerHour: number
  /** Imports running at once in the service; a key runs one at a time. */
  importsAtOnce: number
  docsEnabled: boolean
  /** Time to receive a whole request; bounds how long a too-large body is drained. */
  requestTimeoutMs: number
  /** Socket inactivity timeout. */
  connectionTimeoutMs: number
}

const int = (min: number, max: number) =>
  z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(min).max(max))

const TRUE = ['true', '1', 'yes', 'on']
const FALSE = ['false', '0', 'no', 'off']

/** One variable: how to parse it, what to say when it is wrong, and whether its value is a secret. */
interface Variable<T> {
  schema: z.ZodType<T, string>
  must: string
  secret?: boolean
}

const VARIABLES = {
  PORT: { schema: int(0, 65535), must: 'be an integer from 0 to 65535' },
  HOST: { schema: z.string().regex(/^[^\s/]+$/), must: 'be a host name or IP address' },
  LEDGER_DATA_DIR: { schema: z.string().min(1), must: 'be a directory path' },
  EVENTSTORE_CONNECTION_STRING: {
    // It may carry credentials, so it is never echoed back.
    schema: z.string().regex(/^(esdb|kurrentdb|kdb)(\+discover)?:\/\/\S+$/i),
    must: "be a connection string such as 'esdb://host:2113?tls=false'",
    secret: true,
  },
  LEDGER_KEYS_FILE: { schema: z.string().min(1), must: 'be a file path' },
  LEDGER_PEPPER: {
    schema: z.string().min(32),
    must: 'be at least 32 characters (for example the output of `openssl rand -hex 32`)',
    secret: true,
  },
  LOG_LEVEL: { schema: z.enum(LOG_LEVELS), must: `be one of ${LOG_LEVELS.join(', ')}` },
  LOG_FORMAT: { schema: z.enum(LOG_FORMATS), must: `be one of ${LOG_FORMATS.join(', ')}` },
  LEDGER_RATE_LIMIT: { schema: int(1, 1_000_000), must: 'be an integer from 1 to 1000000 (requests a minute per key)' },
  LEDGER_IMPORT_ROWS_PER_MINUTE: { schema: int(1, 100_000_000), must: 'be an integer from 1 to 100000000 (import rows a minute per key)' },
  LEDGER_IMPORT_DRY_RUN_ROWS_PER_HOUR: { schema: int(0, 100_000_000), must: 'be an integer from 0 (no dry runs) to 100000000 (dry-run import rows an hour per key)' },
  LEDGER_IMPORTS_AT_ONCE: { schema: int(1, 64), must: 'be an integer from 1 to 64 (imports running at once)' },
  LEDGER_DOCS: {
    schema: z.string().toLowerCase().refine((s) => TRUE.includes(s) || FALSE.includes(s)).transform((s) => TRUE.includes(s)),
    must: 'be true or false',
  },
  LEDGER_REQUEST_TIMEOUT_MS: { schema: int(0, 86_400_000), must: 'be an integer number of milliseconds from 0 (none) to 86400000' },
  LEDGER_CONNECTION_TIMEOUT_MS: { schema: int(0, 86_400_000), must: 'be an integer number of milliseconds from 0 (none) to 86400000' },
} satisfies Record<string, Variable<unknown>>

type Name = keyof typeof VARIABLES
type Parsed<N extends Name> = z.output<(typeof VARIABLES)[N]['schema']>

function read<N extends Name>(env: NodeJS.ProcessEnv, name: N): Parsed<N> | undefined {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return undefined
  const variable: Variable<unknown> = VARIABLES[name]
  const result = variable.schema.safeParse(raw.trim())
  if (!result.success) {
    const got = variable.secret ? '' : `, got '${raw.length > 80 ? `${raw.slice(0, 80)}...` : raw}'`
    throw new ConfigError(`${name} must ${variable.must}${got}`)
  }
  return result.data as Parsed<N>
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const dataDir = path.resolve(read(env, 'LEDGER_DATA_DIR') ?? './data')
  const keysFile = read(env, 'LEDGER_KEYS_FILE')
  const eventstoreConnectionString = read(env, 'EVENTSTORE_CONNECTION_STRING')
  const pepper = read(env, 'LEDGER_PEPPER')
  const logFormat = read(env, 'LOG_FORMAT')
  const config: Config = {
    port: read(env, 'PORT') ?? 3000,
    host: read(env, 'HOST') ?? '127.0.0.1',
    dataDir,
    ...(eventstoreConnectionString === undefined ? {} : { eventstoreConnectionString }),
    keysFile: keysFile === undefined ? path.join(dataDir, 'keys.json') : path.resolve(keysFile),
    ...(pepper === undefined ? {} : { pepper }),
    logLevel: read(env, 'LOG_LEVEL') ?? 'info',
    ...(logFormat === undefined ? {} : { logFormat }),
    rateLimitPerMinute: read(env, 'LEDGER_RATE_LIMIT') ?? 600,
    // About a fifth of what one instance imports (README, performance), so one key cannot hold
    // the store; a whole 64 MiB file (about 290,000 rows) still goes through, then waits.
    importRowsPerMinute: read(env, 'LEDGER_IMPORT_ROWS_PER_MINUTE') ?? 60_000,
    // An operator's sheets are hundreds of rows; every dry-run row can ask the person rule.
    importDryRunRowsPerHour: read(env, 'LEDGER_IMPORT_DRY_RUN_ROWS_PER_HOUR') ?? 5_000,
    importsAtOnce: read(env, 'LEDGER_IMPORTS_AT_ONCE') ?? 2,
    docsEnabled: read(env, 'LEDGER_DOCS') ?? true,
    // Two minutes to receive a request: a 64 MiB import on a slow link fits, a slow drip does not.
    requestTimeoutMs: read(env, 'LEDGER_REQUEST_TIMEOUT_MS') ?? 120_000,
    connectionTimeoutMs: read(env, 'LEDGER_CONNECTION_TIMEOUT_MS') ?? 120_000,
  }
  return Object.freeze(config)
}

/**
 * Creates the data directory and proves it writable now, rather than failing on the first
 * write of an event or of the keys file.
 */
export function ensureDataDir(config: Pick<Config, 'dataDir'>): void {
  const dir = config.dataDir
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw new ConfigError(`LEDGER_DATA_DIR '${dir}' cannot be created: ${reason(err)}`)
  }
  const probe = path.join(dir, `.write-probe-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    writeFileSync(probe, '', { flag: 'wx' })
    unlinkSync(probe)
  } catch (err) {
    throw new ConfigError(`LEDGER_DATA_DIR '${dir}' is not writable: ${reason(err)}`)
  }
}

/** A file system error's code (EACCES, ENOTDIR...) reads better in one line than its message. */
export function reason(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code
    return code ?? err.message
  }
  return String(err)
}
