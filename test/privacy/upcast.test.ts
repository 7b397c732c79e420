import t from 'tap'
import {
  ERASED, GENESIS_HASH, upcast, upcastDecided,
  type Envelope, type PersonalAttributes, type PersonalDataDecryptor,
} from '../../events'
import { newDataKey, openAttributes, sealAttributes } from '../../src/privacy/cipher'

const attributes: PersonalAttributes = {
  personKey: 'd'.repeat(64), gender: 'male', birthYear: 1988, region: 'MA-09', educationLevel: 'bac', background: 'other',
}
const clear = { learnerId: 'L-1', operatorId: 'OP-1', submittedOn: '2025-01-10' }
const metadata = { recordedAt: '2025-01-10T10:00:00.000Z', actor: { keyId: 'k', role: 'operator' as const, operatorId: 'OP-1' }, correlationId: 'c', prevHash: GENESIS_HASH, hash: 'e'.repeat(64) }
const envelope = (schemaVersion: number, data: Record<string, unknown>): Envelope => ({
  eventId: '00000000-0000-4000-8000-000000000001', type: 'ApplicationSubmitted', schemaVersion,
  streamId: 'learner-L-1', streamRevision: 0, position: 1, data, metadata,
})

const key = newDataKey()
const v2 = envelope(2, { ...clear, personal: sealAttributes(key, 'L-1', '00000000-0000-4000-8000-000000000001', attributes) })
const holding = (k: Buffer | undefined): PersonalDataDecryptor => ({
  open: (learnerId, eventId, sealed) => (k === undefined ? undefined : openAttributes(k, learnerId, eventId, sealed)),
})

t.test('version 1 reads as stored', async (t) => {
  const v1 = envelope(1, { ...clear, ...attributes })
  t.equal(upcast(v1), v1, 'unchanged, not even copied')
  t.equal(upcast(v1, holding(key)), v1)
})

t.test('version 2 opens to the same in-memory form as version 1', async (t) => {
  const opened = upcast(v2, holding(key))
  t.same(opened.data, { ...clear, ...attributes })
  t.same(opened.data, upcast(envelope(1, { ...clear, ...attributes })).data)
  t.equal(opened.eventId, v2.eventId)
  t.equal(v2.data.personal !== undefined, true, 'the stored envelope is left as it was')
})

t.test('version 2 without its key reads erased, never throws', async (t) => {
  const erased = { ...clear, gender: ERASED, birthYear: ERASED, region: ERASED, educationLevel: ERASED, background: ERASED }
  t.same(upcast(v2, holding(undefined)).data, erased, 'key destroyed')
  t.same(upcast(v2).data, erased, 'no decryptor')
  t.same(upcast(v2, holding(newDataKey())).data, erased, 'a key that does not open it')
  t.notOk('personKey' in upcast(v2).data, 'personKey absent')
  const garbage = envelope(2, { ...clear, personal: { alg: 'A256GCM', iv: 'x', ciphertext: '!', tag: 'y' } })
  t.same(upcast(garbage, holding(key)).data, erased, 'malformed sealed data')
  const throwing: PersonalDataDecryptor = { open: () => { throw new Error('must not be called for malformed data') } }
  t.same(upcast(garbage, throwing).data, erased)
})

t.test('an event without its envelope (a decider history) opens the same way, idempotently', async (t) => {
  const decided = { eventId: v2.eventId, type: v2.type, data: v2.data }
  const opened = upcastDecided(decided, holding(key))
  t.same(opened.data, { ...clear, ...attributes })
  t.equal(upcastDecided(opened, holding(undefined)), opened, 'opening an opened event changes nothing')
  const other = { eventId: 'x', type: 'ApplicationScreened', data: { personal: {} } }
  t.equal(upcastDecided(other, holding(key)), other, 'only applications are opened')
})
