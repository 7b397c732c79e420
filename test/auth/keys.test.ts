import t from 'tap'
import * as crypto from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ConfigError } from '../../src/config'
import {
  actorFor, addKey, ensureKeysFile, hashKey, KeyRing, loadKeys, readKeysFile, type ApiKeyEntry,
} from '../../src/auth/keys'

function tempFile(t: tap.Test, name = 'keys.json'): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ledger-keys-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return path.join(dir, name)
}

const mode = (file: string) => statSync(file).mode & 0o777

t.test('first start creates the keys file once, with one admin key, mode 0600', async (t) => {
  const file = tempFile(t, 'nested/dir/keys.json')
  const first = ensureKeysFile(file)
  t.equal(first.created, true)
  t.match(first.adminKey, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url')
  t.equal(mode(file), 0o600)
  const stored = JSON.parse(readFileSync(file, 'utf8'))
  t.same(stored, [{ id: 'admin', role: 'admin', sha256: hashKey(first.adminKey ?? '') }])
  t.notMatch(readFileSync(file, 'utf8'), first.adminKey ?? '', 'the raw key is not stored')

  const second = ensureKeysFile(file)
  t.same(second, { created: false }, 'an existing file is left alone and no key is shown')
  t.same(JSON.parse(readFileSync(file, 'utf8')), stored)

  const ring = loadKeys(file)
  t.same(ring.authenticate(first.adminKey ?? ''), { id: 'admin', role: 'admin', sha256: hashKey(first.adminKey ?? '') })
})

t.test('authenticate finds the entry of a valid key and nothing for anything else', async (t) => {
  const entries: ApiKeyEntry[] = [
    { id: 'a', role: 'admin', sha256: hashKey('alpha') },
    { id: 'ops', role: 'operator', operatorId: 'OP-1', sha256: hashKey('bravo') },
  ]
  const ring = new KeyRing(entries)
  t.equal(ring.size, 2)
  t.equal(ring.authenticate('bravo'), entries[1])
  t.equal(ring.authenticate('alpha'), entries[0])
  t.equal(ring.authenticate('bravo '), undefined)
  t.equal(ring.authenticate(''), undefined)
  t.equal(ring.authenticate(hashKey('alpha')), undefined, 'the hash itself is not a key')
  t.same(actorFor(entries[1]), { keyId: 'ops', role: 'operator', operatorId: 'OP-1' })
  t.same(actorFor(entries[0]), { keyId: 'a', role: 'admin' })
})

t.test('authenticate compares against every stored hash in constant time, wherever the match is', async (t) => {
  const compared: Array<[number, number]> = []
  const { KeyRing: SpiedRing, hashKey: hash } = t.mockRequire<typeof import('../../src/auth/keys')>('../../src/auth/keys', {
    'node:crypto': {
      ...crypto,
      timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
        compared.push([a.byteLength, b.byteLength])
        return crypto.timingSafeEqual(a, b)
      },
    },
  })
  const keys = ['k0', 'k1', 'k2', 'k3']
  const ring = new SpiedRing(keys.map((k, i) => ({ id: `id${i}`, role: 'viewer' as const, sha256: hash(k) })))
  for (const presented of ['k0', 'k3', 'nope', 'a much longer presented key than any stored one']) {
    compared.length = 0
    ring.authenticate(presented)
    t.equal(compared.length, keys.length, `${presented}: every entry compared`)
    t.ok(compared.every(([a, b]) => a === 32 && b === 32), 'fixed-length digests are compared, never raw keys')
  }
})

t.test('readKeysFile rejects a bad file with one line naming the problem', async (t) => {
  const file = tempFile(t)
  const cases: Array<[string, RegExp]> = [
    ['not json', /is not valid JSON$/],
    ['{}', /is invalid: /],
    [JSON.stringify([{ id: 'a', role: 'admin', sha256: 'xyz' }]), /is invalid at 0\.sha256: /],
    [JSON.stringify([{ id: 'a', role: 'root', sha256: hashKey('a') }]), /is invalid at 0\.role: /],
    [JSON.stringify([{ id: 'a', role: 'operator', sha256: hashKey('a') }]), /is invalid at 0\.operatorId: an operator key needs an operatorId$/],
    [JSON.stringify([{ id: 'a', role: 'viewer', operatorId: 'OP-1', sha256: hashKey('a') }]), /is invalid at 0\.operatorId: a viewer key has no operatorId$/],
    [JSON.stringify([{ id: 'a', role: 'admin', sha256: hashKey('a'), key: 'raw' }]), /is invalid at 0: /],
    [JSON.stringify([{ id: 'a', role: 'admin', sha256: hashKey('a') }, { id: 'a', role: 'viewer', sha256: hashKey('b') }]), /has two keys with id 'a'$/],
  ]
  for (const [text, message] of cases) {
    writeFileSync(file, text)
    t.throws(() => readKeysFile(file), ConfigError, text)
    t.throws(() => readKeysFile(file), { message }, text)
  }
  t.throws(() => readKeysFile(`${file}.missing`), { message: /cannot be read: ENOENT$/ })
})

t.test('addKey mints a key, stores only its hash, and refuses bad requests clearly', async (t) => {
  const file = tempFile(t)
  ensureKeysFile(file)
  const { key, entry } = addKey(file, { role: 'operator', operatorId: 'OP-7', id: 'rabat-ops' })
  t.match(key, /^[A-Za-z0-9_-]{43}$/)
  t.same(entry, { id: 'rabat-ops', role: 'operator', operatorId: 'OP-7', sha256: hashKey(key) })
  t.equal(mode(file), 0o600, 'the rewritten file keeps mode 0600')
  t.same(readKeysFile(file).map((e) => e.id), ['admin', 'rabat-ops'])
  t.notMatch(readFileSync(file, 'utf8'), key)

  const generated = addKey(file, { role: 'auditor' })
  t.match(generated.entry.id, /^auditor-[0-9a-f]{6}$/, 'an id is made up when none is given')
  t.not(generated.key, key)

  t.throws(() => addKey(file, { role: 'viewer', id: 'rabat-ops' }), { name: 'ConfigError', message: /a key with id 'rabat-ops' already exists/ })
  t.throws(() => addKey(file, { role: 'operator' }), { name: 'ConfigError', message: 'an operator key needs --operator <operatorId>' })
  t.throws(() => addKey(file, { role: 'viewer', operatorId: 'OP-1' }), { name: 'ConfigError', message: '--operator is only for operator keys, not viewer' })
  t.throws(() => addKey(file, { role: 'viewer', id: 'has space' }), { name: 'ConfigError', message: /^invalid key id: / })
  t.equal(readKeysFile(file).length, 3, 'refused requests wrote nothing')
})

t.test('addKey without a keys file creates one holding just that key', async (t) => {
  const file = tempFile(t)
  const { key } = addKey(file, { role: 'viewer', id: 'board' })
  t.same(readKeysFile(file), [{ id: 'board', role: 'viewer', sha256: hashKey(key) }])
  t.same(ensureKeysFile(file), { created: false }, 'no admin key is minted behind the user')
})

t.test('refresh picks up added and removed keys, and keeps the old keys when the file turns bad', async (t) => {
  const file = tempFile(t)
  const { adminKey = '' } = ensureKeysFile(file)
  let now = 0
  const ring = loadKeys(file, { recheckMs: 1000, now: () => now })
  const { key } = addKey(file, { role: 'viewer', id: 'late' })

  t.same(ring.refresh(), { reloaded: true })
  t.equal(ring.authenticate(key)?.id, 'late')
  t.same(ring.refresh(), { reloaded: false }, 'not re-checked within recheckMs')

  writeFileSync(file, JSON.stringify(readKeysFile(file).filter((e) => e.id !== 'late')))
  t.same(ring.refresh(), { reloaded: false }, 'still within recheckMs')
  t.equal(ring.authenticate(key)?.id, 'late')
  now += 1000
  t.same(ring.refresh(), { reloaded: true })
  t.equal(ring.authenticate(key), undefined, 'a removed key stops working')

  writeFileSync(file, '[{"half": ')
  now += 1000
  const bad = ring.refresh()
  t.equal(bad.reloaded, false)
  t.match(bad.error?.message, /is not valid JSON/)
  t.equal(ring.authenticate(adminKey)?.id, 'admin', 'the previous keys stay in force')
  now += 1000
  t.same(ring.refresh(), { reloaded: false }, 'the same bad file is reported once')

  rmSync(file)
  now += 1000
  t.match(ring.refresh().error?.message, /has disappeared/)
  t.equal(ring.authenticate(adminKey)?.id, 'admin')
})

t.test('a forced refresh reads a changed file at once, within recheckMs', async (t) => {
  const file = tempFile(t)
  ensureKeysFile(file)
  const now = 0
  const ring = loadKeys(file, { recheckMs: 1000, now: () => now })
  t.same(ring.refresh(), { reloaded: false }, 'unchanged since loaded')
  const { key } = addKey(file, { role: 'viewer', id: 'just-added' })
  t.same(ring.refresh(), { reloaded: false }, 'the ordinary check waits for recheckMs')
  t.same(ring.refresh(true), { reloaded: true }, 'the forced one does not')
  t.equal(ring.authenticate(key)?.id, 'just-added')
  t.same(ring.refresh(true), { reloaded: false }, 'an unchanged file is not read again')
})
