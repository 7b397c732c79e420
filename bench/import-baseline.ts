/**
 * The import's baseline: a bare batched insert of the envelopes the import writes (the same
 * rows bench/import.ts feeds it: the first N learner events of planProgramme(seed 1), made into
 * stored envelopes here with the same fields and sizes), 1,000 rows a synchronous=FULL
 * transaction, into the store's own schema: no decision, no hash, no projection.
 */
import { createHmac, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GENESIS_HASH, type Envelope } from '../events'
import { planProgramme } from '../src/tools/simulate'
import { openDatabase } from '../src/store/sqlite/schema'
import { seconds } from './support'

const BATCH = 1000

/** The envelopes an import of the first `rows` learner events of the plan records. */
function envelopesOf(rows: number): Envelope[] {
  const plan = planProgramme({ learners: Math.ceil(rows / 5) + 100, seed: 1 })
  const out: Envelope[] = []
  const fakeHash = (s: string) => createHmac('sha256', 'bench').update(s).digest('hex')
  const recordedAt = new Date().toISOString()
  for (const learner of plan.learnerPlans) {
    let prevHash = GENESIS_HASH
    for (const [revision, step] of learner.steps.entries()) {
      if (out.length === rows) return out
      const { nationalId, ...rest } = step.data as Record<string, unknown>
      const data = { learnerId: learner.learnerId, ...rest, ...(nationalId === undefined ? {} : { personKey: fakeHash(String(nationalId)) }) }
      const hash = fakeHash(step.eventId)
      out.push({
        eventId: step.eventId, type: step.type, schemaVersion: 1, streamId: `learner-${learner.learnerId}`, streamRevision: revision,
        position: out.length + 1, data,
        metadata: { recordedAt, actor: step.actor, correlationId: randomUUID(), prevHash, hash },
      })
      prevHash = hash
    }
  }
  return out
}

/** Rows a second for the bare batched insert of `rows` envelopes, on the disk of os.tmpdir() (as bench/import.ts). */
export function bareBatchedInsert(rows: number): number {
  const envelopes = envelopesOf(rows)
  const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-bare-'))
  const db = openDatabase(join(dir, 'bare.db'), { busyTimeoutMs: 5000 })
  try {
    const insert = db.prepare(`INSERT INTO events (event_id, stream_id, stream_revision, type, schema_version, data, metadata, recorded_at, fingerprint)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    const batch = db.transaction((slice: Envelope[]) => {
      for (const e of slice) {
        insert.run(e.eventId, e.streamId, e.streamRevision, e.type, e.schemaVersion, JSON.stringify(e.data),
          JSON.stringify(e.metadata), e.metadata.recordedAt, e.metadata.hash)
      }
    })
    const started = process.hrtime.bigint()
    for (let i = 0; i < envelopes.length; i += BATCH) batch.immediate(envelopes.slice(i, i + BATCH))
    return envelopes.length / seconds(started)
  } finally {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
