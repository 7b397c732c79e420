import t from 'tap'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ConfigError, ensureDataDir, loadConfig } from '../src/config'

t.test('defaults', async (t) => {
  const config = loadConfig({})
  t.same(config, {
    port: 3000,
    host: '127.0.0.1',
    dataDir: path.resolve('data'),
    keysFile: path.resolve('data', 'keys.json'),
    logLevel: 'info',
    rateLimitPerMinute: 600,
    importRowsPerMinute: 60_000,
    importDryRunRowsPerHour: 5_000,
    importsAtOnce: 2,
    docsEnabled: true,
    requestTimeoutMs: 120_000,
    connectionTimeoutMs: 120_000,
  })
  t.ok(Object.isFrozen(config))
  t.notOk('pepper' in config, 'no pepper unless one is set')
  t.notOk('eventstoreConnectionString' in config)
})

t.test('every variable is read', async (t) => {
  const config = loadConfig({
    PORT: '8080',
    HOST: '0.0.0.0',
    LEDGER_DATA_DIR: '/var/lib/ledger',
    EVENTSTORE_CONNECTION_STRING: 'esdb://eventstore:2113?tls=false',
    LEDGER_KEYS_FILE: '/etc/ledger/keys.json',
    LEDGER_PEPPER: 'p'.repeat(32),
    LOG_LEVEL: 'debug',
    LEDGER_RATE_LIMIT: '50',
    LEDGER_IMPORT_ROWS_PER_MINUTE: '1000',
    LEDGER_IMPORT_DRY_RUN_ROWS_PER_HOUR: '0',
    LEDGER_IMPORTS_AT_ONCE: '4',
    LEDGER_DOCS: 'off',
    LEDGER_REQUEST_TIMEOUT_MS: '5000',
    LEDGER_CONNECTION_TIMEOUT_MS: '0',
  })
  t.same(config, {
    port: 8080,
    host: '0.0.0.0',
    dataDir: '/var/lib/ledger',
    eventstoreConnectionString: 'esdb://eventstore:2113?tls=false',
    keysFile: '/etc/ledger/keys.json',
    pepper: 'p'.repeat(32),
    logLevel: 'debug',
    rateLimitPerMinute: 50,
    importRowsPerMinute: 1000,
    importDryRunRowsPerHour: 0,
    importsAtOnce: 4,
    docsEnabled: false,
    requestTimeoutMs: 5000,
    connectionTimeoutMs: 0,
  })
})

t.test('the keys file follows the data dir unless set; empty values mean unset', async (t) => {
  const config = loadConfig({ LEDGER_DATA_DIR: '/srv/ledger', LEDGER_KEYS_FILE: '', PORT: ' ', LEDGER_PEPPER: '' })
  t.equal(config.keysFile, '/srv/ledger/keys.json')
  t.equal(config.port, 3000)
  t.notOk('pepper' in config)
  t.equal(loadConfig({ LEDGER_DOCS: 'TRUE' }).docsEnabled, true)
  t.equal(loadConfig({ LEDGER_DOCS: '0' }).docsEnabled, false)
  t.equal(loadConfig({ EVENTSTORE_CONNECTION_STRING: 'esdb+discover://a,b,c?tls=true' }).eventstoreConnectionString, 'esdb+discover://a,b,c?tls=true')
})

const bad: Array<[Record<string, string>, RegExp]> = [
  [{ PORT: 'abc' }, /^PORT must be an integer from 0 to 65535, got 'abc'$/],
  [{ PORT: '70000' }, /^PORT must be an integer from 0 to 65535, got '70000'$/],
  [{ PORT: '-1' }, /^PORT must be/],
  [{ PORT: '80.5' }, /^PORT must be/],
  [{ HOST: 'http://x/' }, /^HOST must be a host name or IP address, got 'http:\/\/x\/'$/],
  [{ EVENTSTORE_CONNECTION_STRING: 'http://admin:changeit@eventstore:2113' }, /^EVENTSTORE_CONNECTION_STRING must be a connection string such as 'esdb:\/\/host:2113\?tls=false'$/],
  [{ LEDGER_PEPPER: 'short-secret' }, /^LEDGER_PEPPER must be at least 32 characters/],
  [{ LOG_LEVEL: 'verbose' }, /^LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got 'verbose'$/],
  [{ LEDGER_RATE_LIMIT: '0' }, /^LEDGER_RATE_LIMIT must be an integer from 1 to 1000000/],
  [{ LEDGER_RATE_LIMIT: 'lots' }, /^LEDGER_RATE_LIMIT must be/],
  [{ LEDGER_IMPORT_ROWS_PER_MINUTE: '0' }, /^LEDGER_IMPORT_ROWS_PER_MINUTE must be an integer from 1 to 100000000 \(import rows a minute per key\), got '0'$/],
  [{ LEDGER_IMPORT_DRY_RUN_ROWS_PER_HOUR: '-1' }, /^LEDGER_IMPORT_DRY_RUN_ROWS_PER_HOUR must be an integer from 0 \(no dry runs\)/],
  [{ LEDGER_IMPORTS_AT_ONCE: '0' }, /^LEDGER_IMPORTS_AT_ONCE must be an integer from 1 to 64/],
  [{ LEDGER_IMPORTS_AT_ONCE: 'two' }, /^LEDGER_IMPORTS_AT_ONCE must be/],
  [{ LEDGER_DOCS: 'maybe' }, /^LEDGER_DOCS must be true or false, got 'maybe'$/],
  [{ LEDGER_REQUEST_TIMEOUT_MS: '10s' }, /^LEDGER_REQUEST_TIMEOUT_MS must be an integer number of milliseconds/],
  [{ LEDGER_CONNECTION_TIMEOUT_MS: '-5' }, /^LEDGER_CONNECTION_TIMEOUT_MS must be/],
]

t.test('each bad variable is a ConfigError of one line naming it', async (t) => {
  for (const [env, message] of bad) {
    const name = Object.keys(env)[0]
    t.throws(() => loadConfig(env), ConfigError, `${name}: ConfigError`)
    const text = messageOf(env)
    t.match(text, message, name)
    t.notMatch(text, /\n/, `${name}: one line`)
  }
})

function messageOf(env: Record<string, string>): string {
  try {
    loadConfig(env)
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('loadConfig accepted a bad value')
}

t.test('secrets are never echoed in the error', async (t) => {
  t.notMatch(messageOf({ LEDGER_PEPPER: 'hunter2' }), /hunter2/)
  t.notMatch(messageOf({ EVENTSTORE_CONNECTION_STRING: 'http://admin:changeit@x' }), /changeit/)
})

t.test('a very long bad value is clipped in the message', async (t) => {
  const message = messageOf({ HOST: `a b${'c'.repeat(500)}` })
  t.match(message, /^HOST must be a host name or IP address, got 'a bc+\.\.\.'$/)
  t.ok(message.length < 200)
})

t.test('ensureDataDir creates the directory and leaves no probe behind', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'ledger-config-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const dataDir = path.join(root, 'a', 'b', 'data')
  ensureDataDir({ dataDir })
  t.ok(existsSync(dataDir))
  t.same(readdirSync(dataDir), [])
  ensureDataDir({ dataDir })
  t.same(readdirSync(dataDir), [], 'idempotent')
})

t.test('ensureDataDir: a directory that cannot be created or written is a ConfigError of one line', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'ledger-config-'))
  t.teardown(() => rmSync(root, { recursive: true, force: true }))
  const file = path.join(root, 'a-file')
  writeFileSync(file, 'x')
  t.throws(() => ensureDataDir({ dataDir: path.join(file, 'data') }), {
    name: 'ConfigError',
    message: new RegExp(`^LEDGER_DATA_DIR '${file}/data' cannot be created: (ENOTDIR|EEXIST)$`),
  })
  // /proc/self exists but takes no new files, even for root (chmod would not stop root).
  t.throws(() => ensureDataDir({ dataDir: '/proc/self' }), {
    name: 'ConfigError',
    message: /^LEDGER_DATA_DIR '\/proc\/self' is not writable: E[A-Z]+$/,
  }, { skip: process.platform !== 'linux' ? 'needs /proc' : false })
})
