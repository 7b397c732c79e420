import t from 'tap'
import { createHmac } from 'node:crypto'
import { v5 as uuidV5 } from 'uuid'
import { derivedEventId, keyedEventIds } from '../../src/write/import'
import { canonicalJson } from '../../src/store/hash'

const PEPPER = Buffer.from('pepper-pepper-pepper-pepper-pepper-32')
const OTHER = Buffer.from('another-pepper-another-pepper-another')
const APPLICATION = {
  operatorId: 'OP-1', nationalId: 'AB123456', gender: 'female', birthYear: 2001, region: 'MA-06',
  educationLevel: 'bac+2', background: 'stem', submittedOn: '2024-12-01',
}
/** The namespace of the unkeyed UUIDv5 ids imports derived before they were keyed. */
const OLD_NAMESPACE = '209fef1a-672d-4d81-a5de-f2d038afb124'

t.test('the same row gives the same id, whatever the order of its keys', async (t) => {
  const id = derivedEventId(PEPPER, 'L-1', 'ApplicationSubmitted', APPLICATION)
  t.equal(derivedEventId(PEPPER, 'L-1', 'ApplicationSubmitted', { ...APPLICATION }), id)
  const reversed = Object.fromEntries(Object.entries(APPLICATION).reverse())
  t.equal(derivedEventId(PEPPER, 'L-1', 'ApplicationSubmitted', reversed), id, 'canonical JSON: key order does not matter')
  t.equal(keyedEventIds(PEPPER)('L-1', 'ApplicationSubmitted', APPLICATION), id)
})

t.test('a lower-case UUID with the version 8 and variant bits set', async (t) => {
  for (let i = 0; i < 200; i++) {
    t.match(derivedEventId(PEPPER, `L-${i}`, 'ApplicationScreened', { decision: 'accepted', screenedOn: '2024-12-15' }),
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  }
})

t.test('another pepper, learner, type or field gives another id', async (t) => {
  const id = derivedEventId(PEPPER, 'L-1', 'ApplicationSubmitted', APPLICATION)
  t.not(derivedEventId(OTHER, 'L-1', 'ApplicationSubmitted', APPLICATION), id, 'the pepper keys it')
  t.not(derivedEventId(PEPPER, 'L-2', 'ApplicationSubmitted', APPLICATION), id)
  t.not(derivedEventId(PEPPER, 'L-1', 'ApplicationScreened', APPLICATION), id)
  t.not(derivedEventId(PEPPER, 'L-1', 'ApplicationSubmitted', { ...APPLICATION, nationalId: 'AB123457' }), id)
})

t.test('it is the HMAC-SHA-256 of the canonical row under the pepper, and never the old unkeyed UUIDv5', async (t) => {
  const id = derivedEventId(PEPPER, 'L-1', 'ApplicationSubmitted', APPLICATION)
  const mac = createHmac('sha256', PEPPER).update(canonicalJson({ learnerId: 'L-1', type: 'ApplicationSubmitted', data: APPLICATION })).digest('hex')
  const hex = id.replace(/-/g, '')
  t.equal(hex.slice(0, 12), mac.slice(0, 12), 'the MAC up to the version nibble')
  t.equal(hex.slice(13, 16), mac.slice(13, 16))
  t.equal(hex.slice(18), mac.slice(18, 32), 'and after the variant bits')
  const old = uuidV5(canonicalJson({ learnerId: 'L-1', type: 'ApplicationSubmitted', data: APPLICATION }), OLD_NAMESPACE)
  t.not(id, old, 'not the UUIDv5 anyone could recompute from a guessed national id')
  // Fixed for good: with another derivation, re-importing a sheet imported before would write every row again.
  t.equal(id, '8c43578c-e44b-8e74-9831-57122f684563', 'the derivation never changes')
})
