import t from 'tap'
import { masterKeyFrom, newDataKey, openAttributes, sealAttributes } from '../../src/privacy/cipher'
import { unwrapKey, wrapKey } from '../../src/privacy/cipher'
import type { PersonalAttributes } from '../../events'

const attributes: PersonalAttributes = {
  personKey: 'c'.repeat(64), gender: 'female', birthYear: 1999, region: 'MA-03', educationLevel: 'bac+3', background: 'stem',
}

t.test('sealed attributes open with their key, for their learner and event only', async (t) => {
  const key = newDataKey()
  const sealed = sealAttributes(key, 'L-1', 'e-1', attributes)
  t.same(openAttributes(key, 'L-1', 'e-1', sealed), attributes)
  t.notMatch(JSON.stringify(sealed), /MA-03|1999|female|cccc/, 'nothing readable in the sealed form')
  t.equal(openAttributes(newDataKey(), 'L-1', 'e-1', sealed), undefined, 'another key')
  t.equal(openAttributes(key, 'L-2', 'e-1', sealed), undefined, 'moved to another learner (AAD)')
  t.equal(openAttributes(key, 'L-1', 'e-2', sealed), undefined, 'moved to another event (AAD)')
  const flipped = { ...sealed, ciphertext: (sealed.ciphertext[0] === 'A' ? 'B' : 'A') + sealed.ciphertext.slice(1) }
  t.equal(openAttributes(key, 'L-1', 'e-1', flipped), undefined, 'a changed ciphertext fails its tag')
})

t.test('the IV is synthetic: the same event seals to the same bytes, any other to others', async (t) => {
  const key = newDataKey()
  const a = sealAttributes(key, 'L-1', 'e-1', attributes)
  t.same(sealAttributes(key, 'L-1', 'e-1', attributes), a, 'a re-sent command gives the same stored data')
  t.not(sealAttributes(key, 'L-1', 'e-2', attributes).iv, a.iv, 'another event, another IV')
  t.not(sealAttributes(key, 'L-1', 'e-1', { ...attributes, birthYear: 2000 }).iv, a.iv, 'another plaintext, another IV')
  t.equal(Buffer.from(a.iv, 'base64url').length, 12)
  t.equal(Buffer.from(a.tag, 'base64url').length, 16)
})

t.test('a wrapped key opens only under its master key, for its learner', async (t) => {
  const master = masterKeyFrom(Buffer.from('a pepper of at least thirty-two characters'))
  const key = newDataKey()
  const wrapped = wrapKey(master, 'L-1', key)
  t.ok(unwrapKey(master, 'L-1', wrapped).equals(key))
  t.notOk(wrapped.includes(key), 'the key is not in its wrapped bytes')
  t.throws(() => unwrapKey(masterKeyFrom(Buffer.from('another pepper, another master key entirely')), 'L-1', wrapped))
  t.throws(() => unwrapKey(master, 'L-2', wrapped))
})
