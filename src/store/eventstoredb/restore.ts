/**
 * Restore into EventStoreDB: stored envelopes written as they are (ids, revisions, recordedAt,
 * hashes), each run of one stream's consecutive events in one append with the exact expected
 * revision. Not one transaction as on SQLite: see restoreRuns.
 */
import type { Envelope } from '../../../events'
import { continueChain, EMPTY_CHAIN, type ChainHead } from '../chain'

export interface RestoreTarget {
  /** The stream's last event, undefined when it does not exist. */
  head(streamId: string): Promise<Envelope | undefined>
  write(streamId: string, expectedRevision: number, run: Envelope[]): Promise<void>
}

// Under the server's default maximum append size (1 MiB), with room for the metadata.
const MAX_RUN_EVENTS = 200
const MAX_RUN_BYTES = 512 * 1024

function* runsOf(events: Envelope[]): Generator<Envelope[]> {
  let run: Envelope[] = []
  let bytes = 0
  for (const e of events) {
    const size = JSON.stringify(e).length
    if (run.length > 0 && (run[0].streamId !== e.streamId || run.length >= MAX_RUN_EVENTS || bytes + size > MAX_RUN_BYTES)) {
      yield run
      run = []
      bytes = 0
    }
    run.push(e)
    bytes += size
  }
  if (run.length > 0) yield run
}

/**
 * Each event must continue its stream, revision and hash chain both (chain.ts): everything is checked
 * before anything is written, so a refused restore writes nothing (a server failure midway
 * leaves the runs before it written).
 */
export async function restoreRuns(events: Envelope[], target: RestoreTarget): Promise<void> {
  const heads = new Map<string, ChainHead>()
  const planned: Array<{ expectedRevision: number; run: Envelope[] }> = []
  for (const run of runsOf(events)) {
    const streamId = run[0].streamId
    let head = heads.get(streamId)
    if (head === undefined) {
      const last = await target.head(streamId)
      head = last === undefined ? EMPTY_CHAIN : { revision: last.streamRevision, hash: last.metadata.hash }
    }
    planned.push({ expectedRevision: head.revision, run })
    for (const e of run) head = continueChain(head, e)
    heads.set(streamId, head)
  }
  for (const { expectedRevision, run } of planned) await target.write(run[0].streamId, expectedRevision, run)
}
