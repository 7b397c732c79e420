import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { masterKeyFrom, unwrapKey } from '../../src/privacy/cipher'
import { MemoryKeyStore, type PersonalKeyStore } from '../../src/privacy/key-store'
import { KEY_FILE_NAME, openSqliteKeyStore } from '../../src/store/sqlite/key-store'
import { newDataKey } from '../../src/privacy/cipher'

const PEPPER = Buffer.from('key-store-test-pepper-key-store-test-pepper')

function tempDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'ledger-keys-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Every file of the dir, whole: the key file and anything SQLite left beside it. */
const dirBytes = (dir: string) => readdirSync(dir).map((name) => readFileSync(join(dir, name)))

function contract(t: Tap.Test, name: string, open: () => PersonalKeyStore) {
  t.test(`${name}: get, getOrCreate, destroy`, async (t) => {
    const keys = open()
    t.teardown(() => keys.close())
    t.equal(keys.get('L-1'), undefined, 'no key before one is made')
    const key = keys.getOrCreate('L-1')
    t.equal(key.length, 32)
    t.ok(keys.getOrCreate('L-1').equals(key), 'the same key the second time')
    t.ok(keys.get('L-1')?.equals(key))
    t.notOk(keys.getOrCreate('L-2').equals(key), 'each learner its own key')
    t.equal(keys.lastErasurePosition(), 0)
    t.notOk(keys.isDestroyed('L-1'))
    t.equal(await keys.destroy('L-1', 7), true)
    t.equal(keys.get('L-1'), undefined, 'gone')
    t.ok(keys.isDestroyed('L-1'))
    t.equal(await keys.destroy('L-1', 9), false, 'destroyed once')
    t.equal(keys.lastErasurePosition(), 7)
    t.throws(() => keys.getOrCreate('L-1'), { code: 'personal-data-erased', statusCode: 409 }, 'an erased learnerId never gets a new key')
    t.ok(keys.get('L-2'), 'the others stay')
    await keys.persist()
    t.ok(keys.get('L-2'), 'and stay once persisted')
    t.equal(await keys.destroy('L-9', 3), true, 'destroying a learner that had no key still records the erasure')
    t.throws(() => keys.getOrCreate('L-9'), { code: 'personal-data-erased' })
  })
}

// tap's Test type, without importing its internals.
declare namespace Tap { type Test = typeof t }

contract(t, 'memory', () => new MemoryKeyStore(newDataKey))
contract(t, 'sqlite', () => openSqliteKeyStore(join(tempDir(t), KEY_FILE_NAME), { pepper: PEPPER }))

t.test('sqlite: keys survive a reopen, wrapped under the pepper', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, KEY_FILE_NAME)
  const first = openSqliteKeyStore(file, { pepper: PEPPER })
  const key = Buffer.from(first.getOrCreate('L-1'))
  first.getOrCreate('L-2')
  first.close()
  const unpersisted = openSqliteKeyStore(file, { pepper: PEPPER })
  t.equal(unpersisted.get('L-1'), undefined, 'a key made and not persisted is not on disk')
  t.ok(unpersisted.getOrCreate('L-1'), 'so a new one can be made')
  await unpersisted.persist()
  const persisted = unpersisted.get('L-1') as Buffer
  unpersisted.close()
  t.equal(statSync(file).mode & 0o777, 0o600, 'readable by the service user only')
  const again = openSqliteKeyStore(file, { pepper: PEPPER })
  t.ok(again.get('L-1')?.equals(persisted), 'the persisted key after a reopen')
  t.equal(again.get('L-2'), undefined, 'the other, never persisted, is not')
  again.close()
  t.notOk(dirBytes(dir).some((b) => b.includes(persisted) || b.includes(key)), 'the raw key is nowhere in the file: only wrapped')
  const other = openSqliteKeyStore(file, { pepper: Buffer.from('another pepper, so another master key, nothing opens') })
  t.throws(() => other.get('L-1'), 'the file with another pepper opens nothing')
  other.close()
})

t.test('sqlite: a destroyed key leaves no byte of itself in the file or beside it', async (t) => {
  const dir = tempDir(t)
  const file = join(dir, KEY_FILE_NAME)
  const keys = openSqliteKeyStore(file, { pepper: PEPPER })
  // Enough learners that the key shares its page with others, as in a real file.
  for (let i = 0; i < 200; i++) keys.getOrCreate(`L-${i}`)
  await keys.persist()
  const raw = (await import('better-sqlite3')).default
  const peek = new raw(file, { readonly: true })
  const wrapped = peek.prepare('SELECT wrapped_key AS w FROM personal_keys WHERE learner_id = ?').get('L-42') as { w: Buffer }
  peek.close()
  t.ok(unwrapKey(masterKeyFrom(PEPPER), 'L-42', wrapped.w).equals(keys.get('L-42') as Buffer), 'the wrapped bytes found are the key\'s')
  t.ok(dirBytes(dir).some((b) => b.includes(wrapped.w)), 'before: the wrapped key is in the file')
  t.equal(await keys.destroy('L-42', 1), true)
  t.notOk(dirBytes(dir).some((b) => b.includes(wrapped.w)), 'after: in no file of the directory (secure_delete, WAL checkpointed)')
  t.equal(statSync(`${file}-wal`).size, 0, 'the WAL is cut to nothing')
  keys.close()
  t.notOk(dirBytes(dir).some((b) => b.includes(wrapped.w)), 'nor after closing')
})

t.test('two processes making a key for one learner at once: the second persist is a key race the pipeline retries, and then it holds the winner', async (t) => {
  const file = join(tempDir(t), KEY_FILE_NAME)
  const first = openSqliteKeyStore(file, { pepper: PEPPER })
  const second = openSqliteKeyStore(file, { pepper: PEPPER })
  t.teardown(() => { first.close(); second.close() })
  const winner = Buffer.from(first.getOrCreate('L-race'))
  const loser = Buffer.from(second.getOrCreate('L-race'))
  t.notOk(winner.equals(loser))
  await first.persist()
  await t.rejects(second.persist(), { name: 'WrongExpectedRevision', streamId: 'ledger-key-L-race', statusCode: 409 })
  t.ok(second.getOrCreate('L-race').equals(winner), 'the loser now reads the winner\'s key')
  await second.persist()
})
