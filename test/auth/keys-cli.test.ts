import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { hashKey, loadKeys, readKeysFile } from '../../src/auth/keys'
import { runKeysAdd } from '../../src/cli/keys'

function setup(t: tap.Test) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ledger-keys-cli-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const out = { stdout: '', stderr: '' }
  const io = {
    stdout: { write: (s: string) => { out.stdout += s } },
    stderr: { write: (s: string) => { out.stderr += s } },
  }
  return { config: { keysFile: path.join(dir, 'keys.json') }, out, io }
}

t.test('keys add prints the new key once on stdout and the entry, without it, on stderr', async (t) => {
  const { config, out, io } = setup(t)
  const code = await runKeysAdd(['--role', 'operator', '--operator', 'OP-1', '--id', 'casa-ops'], config, io)
  t.equal(code, 0)
  t.match(out.stdout, /^[A-Za-z0-9_-]{43}\n$/, 'stdout is the key alone')
  const key = out.stdout.trim()
  t.match(out.stderr, /"id":"casa-ops"/)
  t.match(out.stderr, /"operatorId":"OP-1"/)
  t.notMatch(out.stderr, key)
  t.notMatch(out.stderr, hashKey(key), 'not even the hash is shown')
  t.same(readKeysFile(config.keysFile), [{ id: 'casa-ops', role: 'operator', operatorId: 'OP-1', sha256: hashKey(key) }])
  t.same(loadKeys(config.keysFile).authenticate(key)?.id, 'casa-ops', 'the printed key works')
})

t.test('bad arguments exit 2 with one clear line and write nothing', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [[], /^keys add: --role is required$/],
    [['--role', 'root'], /^keys add: --role must be admin, operator, auditor or viewer, got 'root'$/],
    [['--role', 'operator'], /^keys add: an operator key needs --operator <operatorId>$/],
    [['--role', 'viewer', '--operator', 'OP-1'], /^keys add: --operator is only for operator keys, not viewer$/],
    [['--role', 'viewer', '--colour', 'red'], /^keys add: Unknown option '--colour'/],
    [['--role', 'viewer', 'extra'], /^keys add: Unexpected argument 'extra'/],
    [['--role'], /^keys add: Option '--role <value>' argument missing$/],
  ]
  for (const [args, message] of cases) {
    const { config, out, io } = setup(t)
    t.equal(await runKeysAdd(args, config, io), 2, args.join(' '))
    t.equal(out.stdout, '')
    const [first, usage] = out.stderr.split('\n')
    t.match(first, message)
    t.match(usage, /^usage: placement-ledger keys add --role/)
    t.throws(() => readKeysFile(config.keysFile), { message: /ENOENT/ }, 'no keys file written')
  }
})

t.test('a duplicate id exits 2', async (t) => {
  const { config, out, io } = setup(t)
  t.equal(await runKeysAdd(['--role', 'viewer', '--id', 'board'], config, io), 0)
  t.equal(await runKeysAdd(['--role', 'auditor', '--id', 'board'], config, io), 2)
  t.match(out.stderr, /keys add: a key with id 'board' already exists/)
  t.equal(readKeysFile(config.keysFile).length, 1)
})
