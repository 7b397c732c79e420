import t from 'tap'
import {
  ERASED, ERASED_ATTRIBUTES, eraseOpenedData, GENESIS_HASH, readsErased, SEALED_FIELDS, SEALED_VERSIONS, storedSchema, upcast, upcastDecided,
  type Envelope, type PersonalAttributes, type PersonalDataDecryptor, type SealedEventType,
} from '../../events'
import { newDataKey, openAttributes, sealAttributes } from '../../src/privacy/cipher'
import { MemoryKeyStore } from '../../src/privacy/key-store'
import { personalData } from '../../src/privacy/personal-data'

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
  const other = { eventId: 'x', type: 'LearnerEnrolled', data: { personal: {} } }
  t.equal(upcastDecided(other, holding(key)), other, 'only types with personal fields are opened')
})

/** One event of each type with personal fields, in the in-memory (and version 1) form. */
const learnerId = 'L-1'
const everyType: Array<[string, Record<string, unknown>]> = [
  ['ApplicationSubmitted', { ...clear, ...attributes }],
  ['ApplicationScreened', { learnerId, decision: 'rejected', reason: 'no seat this year', screenedOn: '2024-12-15' }],
  ['TrainingCompleted', { learnerId, cohortId: 'C-1', completedOn: '2025-05-02', certified: true, finalScore: 71.5 }],
  ['PlacementRecorded', {
    learnerId, placementId: 'P-1', employer: { name: 'Atlas Digital', legalId: 'ICE-1' }, sector: 'IT services', jobTitle: 'Developer',
    contractType: 'cdi', startDate: '2025-06-02', monthlySalaryMad: 9000, region: 'MA-06', evidence: { kind: 'contract', sha256: 'a'.repeat(64) },
  }],
  ['EventRetracted', { learnerId, retractedEventId: '00000000-0000-4000-8000-000000000009', reason: 'recorded twice' }],
]
const typed = (type: string, schemaVersion: number, data: Record<string, unknown>): Envelope => ({ ...envelope(schemaVersion, data), type })

t.test('version 1 of every type with personal fields still reads as stored', async (t) => {
  for (const [type, data] of everyType) {
    const v1 = typed(type, 1, data)
    t.ok(storedSchema(type, 1)?.safeParse(data).success, `${type}: the version 1 schema`)
    t.equal(upcast(v1), v1, `${type}: unchanged`)
    t.equal(upcast(v1, holding(key)), v1, `${type}: unchanged with a decryptor`)
  }
})

t.test('every type: sealed at its version, opened to the version 1 form, erased without its key', async (t) => {
  const keys = new MemoryKeyStore(newDataKey)
  const codec = personalData(keys)
  const sealedEvents = everyType.map(([type, data]) => {
    const stored = codec.seal(v2.eventId, type, data)
    t.equal(stored.schemaVersion, SEALED_VERSIONS[type as SealedEventType], `${type}: version ${stored.schemaVersion}`)
    t.ok(storedSchema(type, stored.schemaVersion)?.safeParse(stored.data).success, `${type}: the sealed schema`)
    for (const path of Object.keys(SEALED_FIELDS[type as SealedEventType])) {
      t.notOk(JSON.stringify(stored.data).includes(JSON.stringify(path.split('.').pop()) + ':'), `${type}: ${path} not in clear`)
    }
    t.same(upcast(typed(type, stored.schemaVersion, stored.data), codec.decryptor).data, data, `${type}: opens to the version 1 form`)
    t.same(codec.seal(v2.eventId, type, data), stored, `${type}: sealing is deterministic (re-sends)`)
    return [type, stored] as const
  })
  t.same(codec.seal(v2.eventId, 'LearnerEnrolled', { learnerId, cohortId: 'C-1', enrolledOn: '2025-01-06' }).schemaVersion, 1, 'nothing personal: version 1')
  const noReason = codec.seal(v2.eventId, 'ApplicationScreened', { learnerId, decision: 'accepted', screenedOn: '2024-12-15' })
  t.notOk('personal' in noReason.data, 'no reason: nothing sealed')
  t.same(upcast(typed('ApplicationScreened', 2, noReason.data)).data, noReason.data, '...and nothing reads erased')

  await keys.destroy(learnerId, 1)
  const erasedAs: Record<string, Record<string, unknown>> = {
    ApplicationSubmitted: { ...clear, ...ERASED_ATTRIBUTES },
    ApplicationScreened: { learnerId, decision: 'rejected', screenedOn: '2024-12-15', reason: ERASED },
    TrainingCompleted: { learnerId, cohortId: 'C-1', completedOn: '2025-05-02', certified: true },
    PlacementRecorded: {
      learnerId, placementId: 'P-1', sector: 'IT services', contractType: 'cdi', startDate: '2025-06-02', region: 'MA-06',
      evidence: { kind: 'contract', sha256: ERASED }, employer: { name: ERASED }, jobTitle: ERASED,
    },
    EventRetracted: { learnerId, retractedEventId: '00000000-0000-4000-8000-000000000009', reason: ERASED },
  }
  for (const [type, stored] of sealedEvents) {
    const opened = upcast(typed(type, stored.schemaVersion, stored.data), codec.decryptor).data
    t.same(opened, erasedAs[type], `${type}: reads erased once the key is destroyed`)
    t.ok(readsErased(opened), `${type}: known as erased (re-sends)`)
    t.same(eraseOpenedData(type, everyType.find(([ty]) => ty === type)![1]), erasedAs[type], `${type}: the live projection erases it alike`)
  }
  // Recorded after the erasure: nothing sealed, nothing kept.
  for (const [type, data] of everyType.filter(([ty]) => ty !== 'ApplicationSubmitted')) {
    const stored = codec.seal(v2.eventId, type, data)
    t.equal(stored.data.personal, ERASED, `${type}: stored as erased after the erasure`)
    t.ok(storedSchema(type, stored.schemaVersion)?.safeParse(stored.data).success, `${type}: ...in its sealed schema`)
    t.same(upcast(typed(type, stored.schemaVersion, stored.data), codec.decryptor).data, erasedAs[type], `${type}: ...and reads erased`)
  }
  t.throws(() => codec.seal(v2.eventId, 'ApplicationSubmitted', everyType[0][1]), { code: 'personal-data-erased' }, 'never a new application')
})

t.test('a sealed blob of one type does not open as another', async (t) => {
  const codec = personalData(new MemoryKeyStore(newDataKey))
  const stored = codec.seal(v2.eventId, 'ApplicationScreened', everyType[1][1])
  const moved = { learnerId, retractedEventId: '00000000-0000-4000-8000-000000000009', personal: stored.data.personal }
  t.same(upcast(typed('EventRetracted', 2, moved), codec.decryptor).data, { learnerId, retractedEventId: '00000000-0000-4000-8000-000000000009', reason: ERASED })
})
