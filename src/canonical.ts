import canonicalize from 'canonicalize'

/**
 * RFC 8785 (JCS) canonical JSON: keys sorted, no spaces, numbers in their shortest form. What
 * the hash chain hashes (store/hash.ts) and what personal fields are sealed as (privacy/cipher.ts).
 */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value)
  if (text === undefined) throw new TypeError('value has no canonical JSON form')
  return text
}
