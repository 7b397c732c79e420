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
