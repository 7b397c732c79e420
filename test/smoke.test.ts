import t from 'tap'
import { eventHash, canonicalJson } from '../src/store/hash'
import { GENESIS_HASH } from '../events'

t.test('canonical JSON sorts keys and drops spaces', async (t) => {
  t.equal(canonicalJson({ b: 1, a: [1, 'x', { d: null, c: true }] }), '{"a":[1,"x",{"c":true,"d":null}],"b":1}')
})

t.test('event hash covers exactly the spec fields', async (t) => {
  const h = eventHash({ streamId: 's', streamRevision: 0, eventId: 'e', type: 'T', schemaVersion: 1, data: {}, recordedAt: 'r', actor: { keyId: 'k', role: 'admin' }, prevHash: GENESIS_HASH })
  t.match(h, /^[0-9a-f]{64}$/)
})
