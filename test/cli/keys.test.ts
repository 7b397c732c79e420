/**
 * `keys list` shows id, role and operator, never a hash; `keys revoke ID` removes the key, and a
 * server holding the file stops accepting it at its next re-read (KeyRing.refresh, whose clock
 * the test drives).
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { hashKey, KeyRing, loadKeys, readKeysFile } from '../../src/auth/keys'
import { keysTable } from '../../src/cli/keys'
import { cli, spawned, tempDir } from './support'

const ENTRIES = [
  { id: 'admin', role: 'admin', sha256: hashKey('key-admin') },
  { id: 'atlas-sheets', role: 'operator', operatorId: 'OP-ATLAS', sha256: hashKey('key-atlas') },
  { id: 'funder', role: 'viewer', sha256: hashKey('key-funder') },
]

function keysFile(t: { teardown(fn: () => unknown): void }): { dir: string; file: string; env: Record<string, string> } {
  const dir = tempDir(t)
  const file = join(dir, 'keys.json')
  writeFileSync(file, JSON.stringify(ENTRIES), { mode: 0o600 })
  return { dir, file, env: { LEDGER_DATA_DIR: dir } }
}

t.test('keys list: a table of id, role and operator; --json the same as an array; never a hash', async (t) => {
  const { env } = keysFile(t)
  const table = await cli(['keys', 'list'], env)
  t.equal(table.code, 0)
  t.equal(table.stderr, '')
  t.equal(table.stdout, [
    'ID            ROLE      OPERATOR',
    'admin         admin     -',
    'atlas-sheets  operator  OP-ATLAS',
    'funder        viewer    -',
    '',
  ].join('\n'))
  const json = await cli(['keys', 'list', '--json'], env)
  t.equal(json.code, 0)
  t.same(JSON.parse(json.stdout), [
    { id: 'admin', role: 'admin' },
    { id: 'atlas-sheets', role: 'operator', operatorId: 'OP-ATLAS' },
    { id: 'funder', role: 'viewer' },
  ])
  for (const { sha256 } of ENTRIES) {
    t.notMatch(table.stdout + json.stdout, sha256, 'no hash is shown')
  }
})

t.test('keys list without a keys file: exit 2, saying so', async (t) => {
  const run = await cli(['keys', 'list'], { LEDGER_DATA_DIR: tempDir(t) })
  t.equal(run.code, 2)
  t.equal(run.stdout, '')
  t.match(run.stderr, /^keys list: there is no keys file at '[^']+keys\.json'/)
})

t.test('keys revoke ID removes the entry and says what it removed', async (t) => {
  const { file, env } = keysFile(t)
  const run = await cli(['keys', 'revoke', 'atlas-sheets'], env)
  t.equal(run.code, 0, run.stderr)
  t.same(JSON.parse(run.stdout), { revoked: { id: 'atlas-sheets', role: 'operator', operatorId: 'OP-ATLAS' } })
  t.equal(run.stderr, '')
  t.same(readKeysFile(file).map((e) => e.id), ['admin', 'funder'], 'the others stay, hashes and all')
  t.same(readKeysFile(file)[1], ENTRIES[2])
})

t.test('keys revoke: an unknown id or a missing ID exits 2 and changes nothing', async (t) => {
  const { file, env } = keysFile(t)
  const before = readFileSync(file, 'utf8')
  const cases: Array<[string[], RegExp]> = [
    [['nobody'], /^keys revoke: no key with id 'nobody' in /],
    [[], /^keys revoke: name one key ID/],
    [['admin', 'funder'], /^keys revoke: name one key ID/],
  ]
  for (const [args, message] of cases) {
    const run = await cli(['keys', 'revoke', ...args], env)
    t.equal(run.code, 2, args.join(' '))
    t.match(run.stderr, message)
    t.match(run.stderr, /\nusage: placement-ledger keys revoke ID\n$/)
    t.equal(readFileSync(file, 'utf8'), before)
  }
})

t.test('revoking the last admin key is allowed, with a note on how to make another', async (t) => {
  const { file, env } = keysFile(t)
  const run = await cli(['keys', 'revoke', 'admin'], env)
  t.equal(run.code, 0)
  t.match(run.stderr, /keys add --role admin/)
  t.notOk(readKeysFile(file).some((e) => e.role === 'admin'))
})

t.test('a server holding the keys file refuses a revoked key at its next re-read', async (t) => {
  const { file, env } = keysFile(t)
  let now = 0
  const ring: KeyRing = loadKeys(file, { recheckMs: 1000, now: () => now })
  t.equal(ring.authenticate('key-atlas')?.id, 'atlas-sheets')
  t.equal((await cli(['keys', 'revoke', 'atlas-sheets'], env)).code, 0)
  now += 1000
  t.same(ring.refresh(), { reloaded: true })
  t.equal(ring.authenticate('key-atlas'), undefined, 'the revoked key no longer authenticates')
  t.equal(ring.authenticate('key-funder')?.id, 'funder', 'the others still do')
})

t.test('keysTable aligns its columns', async (t) => {
  t.equal(keysTable([]), 'ID  ROLE  OPERATOR\n')
})

t.test('as a real process: add, list, revoke', async (t) => {
  const dir = tempDir(t)
  const env = { LEDGER_DATA_DIR: dir }
  const added = await spawned(['keys', 'add', '--role', 'auditor', '--id', 'court'], env)
  t.equal(added.code, 0, added.stderr)
  const listed = await spawned(['keys', 'list', '--json'], env)
  t.same(JSON.parse(listed.stdout), [{ id: 'court', role: 'auditor' }])
  t.notMatch(listed.stdout, added.stdout.trim(), 'the key itself is never listed')
  const revoked = await spawned(['keys', 'revoke', 'court'], env)
  t.equal(revoked.code, 0, revoked.stderr)
  t.same(readKeysFile(join(dir, 'keys.json')), [])
})
