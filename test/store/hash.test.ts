import t from 'tap'
import { eventHash, canonicalJson } from '../../src/store/hash'
import { GENESIS_HASH } from '../../events'

t.test('canonical JSON sorts keys and drops spaces', async (t) => {
  t.equal(canonicalJson({ b: 1, a: [1, 'x', { d: null, c: true }] }), '{"a":[1,"x",{"c":true,"d":null}],"b":1}')
})

t.test('event hash covers exactly the spec fields', async (t) => {
  const h = eventHash({ streamId: 's', streamRevision: 0, eventId: 'e', type: 'T', schemaVersion: 1, data: {}, recordedAt: 'r', actor: { keyId: 'k', role: 'admin' }, prevHash: GENESIS_HASH })
  t.match(h, /^[0-9a-f]{64}$/)
})

t.test('canonicalDigest equals the hash of the whole canonical JSON, for large and nested values', async (t) => {
  const { canonicalDigest, sha256Hex } = await import('../../src/store/hash')
  const big: Record<string, unknown> = {}
  for (let i = 0; i < 500; i++) big[`k${(i * 7919) % 500}`] = { n: i, list: Array.from({ length: 70 }, (_, j) => ({ j, s: `é${j}` })), u: undefined, z: null }
  const values = [big, { a: big, b: [big, 1, 'x'] }, Array.from({ length: 100 }, (_, i) => i % 3 ? { i } : [i, null]), 'plain', 3.5]
  for (const value of values) t.equal(canonicalDigest(value), sha256Hex(canonicalJson(value)))
})

t.test('eventHash and payloadFingerprint equal the hash of the whole canonical object, with or without the data given', async (t) => {
  const { canonicalData, payloadFingerprint, sha256Hex } = await import('../../src/store/hash')
  const actors = [{ keyId: 'k', role: 'admin' as const }, { keyId: 'k"2', role: 'operator' as const, operatorId: 'OP-é' }]
  const datas: unknown[] = [{}, { b: [1, 2.5, null, { z: 'ü', a: true }], a: 'x', u: undefined }, { n: 1e21, s: '\u2028\ud800' }]
  for (const actor of actors) {
    for (const data of datas) {
      const f = { streamId: 'learner-L-1', streamRevision: 3, eventId: 'e-1', type: 'PlacementRecorded', schemaVersion: 2, data, recordedAt: '2026-01-02T03:04:05.678Z', actor, prevHash: GENESIS_HASH }
      const whole = sha256Hex(canonicalJson({ ...f }))
      t.equal(eventHash(f), whole)
      t.equal(eventHash(f, canonicalData(data)), whole)
      const fingerprint = sha256Hex(canonicalJson({ streamId: f.streamId, type: f.type, data }))
      t.equal(payloadFingerprint(f.streamId, f.type, data), fingerprint)
      t.equal(payloadFingerprint(f.streamId, f.type, data, canonicalData(data)), fingerprint)
    }
  }
  // A field canonical JSON leaves out is left out of the hashed object too.
  const noData = { streamId: 's', streamRevision: 0, eventId: 'e', type: 'T', schemaVersion: 1, data: undefined, recordedAt: 'r', actor: actors[0], prevHash: GENESIS_HASH }
  t.equal(eventHash(noData), sha256Hex(canonicalJson(noData)))
})

t.test('the event hash of a fixed event is stable', async (t) => {
  // Recorded before the hash was computed from a precomputed canonical data: it must never change.
  const h = eventHash({ streamId: 's', streamRevision: 0, eventId: 'e', type: 'T', schemaVersion: 1, data: { b: 1, a: [true, null] }, recordedAt: 'r', actor: { keyId: 'k', role: 'admin' }, prevHash: GENESIS_HASH })
  t.equal(h, '1ecf5c7af828d990f4efe46cf3fc5adb56898a98cc3e189c001c35d63178c909')
})
