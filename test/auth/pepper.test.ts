import t from 'tap'
import { createHmac } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { loadPepper, normaliseNationalId, pepperFile, personKey } from '../../src/auth/pepper'
import { LedgerError } from '../../src/errors'

function dataDir(t: tap.Test): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ledger-pepper-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('without LEDGER_PEPPER a pepper file is created on first start (mode 0600) and reused after', async (t) => {
  const dir = dataDir(t)
  const first = loadPepper({ dataDir: dir })
  const file = pepperFile({ dataDir: dir })
  t.equal(statSync(file).mode & 0o777, 0o600)
  t.match(readFileSync(file, 'utf8'), /^[A-Za-z0-9_-]{43}\n$/, '32 random bytes, as base64url text')
  t.same(loadPepper({ dataDir: dir }), first, 'the same pepper on the next start')
  t.notSame(loadPepper({ dataDir: dataDir(t) }), first, 'another data dir, another pepper')
  t.equal(personKey(loadPepper({ dataDir: dir }), 'AB12345'), personKey(first, 'AB12345'))
})

t.test('LEDGER_PEPPER wins, and equals the pepper file when set to its contents', async (t) => {
  const dir = dataDir(t)
  const fromFile = loadPepper({ dataDir: dir })
  const text = readFileSync(pepperFile({ dataDir: dir }), 'utf8').trim()
  const other = dataDir(t)
  const fromEnv = loadPepper({ dataDir: other, pepper: text })
  t.same(fromEnv, fromFile, 'moving the file into LEDGER_PEPPER keeps every personKey')
  t.throws(() => statSync(pepperFile({ dataDir: other })), { code: 'ENOENT' }, 'no pepper file is written when one is set')
  t.same(loadPepper({ dataDir: dir, pepper: 'e'.repeat(40) }), Buffer.from('e'.repeat(40)))
})

t.test('a damaged pepper file stops start-up instead of silently changing every personKey', async (t) => {
  const dir = dataDir(t)
  writeFileSync(pepperFile({ dataDir: dir }), 'short\n')
  t.throws(() => loadPepper({ dataDir: dir }), { name: 'ConfigError', message: /holds fewer than 32 characters/ })
  t.throws(() => loadPepper({ dataDir: path.join(dir, 'missing', 'dir') }), { name: 'ConfigError', message: /cannot be created: ENOENT$/ })
})

t.test('national ids are normalised: trim, upper-case, no spaces, dots or dashes', async (t) => {
  t.equal(normaliseNationalId(' ab-12.34 5 '), 'AB12345')
  t.equal(normaliseNationalId('AB12345'), 'AB12345')
  t.equal(normaliseNationalId('x\t-y'), 'XY')
  const pepper = Buffer.from('p'.repeat(32))
  t.equal(personKey(pepper, ' ab-12.34 5 '), personKey(pepper, 'AB12345'))
  t.equal(personKey(pepper, 'AB12345'), createHmac('sha256', pepper).update('AB12345').digest('hex'), 'HMAC-SHA256 hex')
  t.not(personKey(pepper, 'AB12346'), personKey(pepper, 'AB12345'))
  t.not(personKey(Buffer.from('q'.repeat(32)), 'AB12345'), personKey(pepper, 'AB12345'), 'the pepper matters')
})

t.test('an id that normalises to nothing is refused rather than keyed', async (t) => {
  const pepper = Buffer.from('p'.repeat(32))
  t.throws(() => personKey(pepper, ' .- '), LedgerError)
  t.throws(() => personKey(pepper, ' .- '), { statusCode: 400, code: 'validation' })
})
