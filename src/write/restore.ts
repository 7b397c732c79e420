/**
 * Restore: the write side's second entry, beside the command pipeline (commands.ts). A restore
 * writes history already decided and sealed elsewhere (an export of another ledger): nothing is
 * decided or sealed here. The file is checked whole first (`checkExportFile`: envelopes, log
 * order, each eventId once, every stream's revisions and hash chain recomputed by the audit's
 * ChainVerifier, the one chain check), and only a checked file is appended verbatim
 * (`restoreFile`: `store.restore`, which keeps ids, revisions, recordedAt and hashes, and whose
 * adapters check each event continues its stream's chain, store/chain.ts). Positions are the
 * target store's own.
 *
 * Both steps stream the file line by line; the write goes in batches. A refused file writes nothing.
 */
import { createReadStream } from 'node:fs'
import { Envelope } from '../../events'
import { ChainVerifier } from '../read/audit'
import type { EventStore } from '../store/types'
import { decodeUtf8, splitLines } from './import/decode'

/** Far above any event the stores accept (EventStoreDB: about 1 MiB); a longer line is not held. */
const MAX_LINE_LENGTH = 16 * 1024 * 1024
/** Events written by one `store.restore` call: one SQLite transaction, a few EventStoreDB appends. */
export const RESTORE_BATCH = 500

/** A file restore refuses whole, before writing anything; `line` 0 is the file as a whole. */
export class RefusedFile extends Error {
  constructor(readonly line: number, message: string) {
    super(line > 0 ? `line ${line}: ${message}` : message)
    this.name = 'RefusedFile'
  }
}

/** The envelopes of an export file with their line numbers; throws RefusedFile at the first line that is not one. */
export async function* readExportFile(file: string): AsyncGenerator<{ line: number; envelope: Envelope }> {
  const texts = decodeUtf8(createReadStream(file))
  try {
    for await (const { line, text, tooLong } of splitLines(texts, MAX_LINE_LENGTH)) {
      if (tooLong) throw new RefusedFile(line, `the line is longer than ${MAX_LINE_LENGTH} characters`)
      if (text.trim() === '') continue
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch (error) {
        throw new RefusedFile(line, `not JSON: ${(error as Error).message}`)
      }
      const parsed = Envelope.safeParse(value)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''
        throw new RefusedFile(line, `not a stored event (as \`export\` writes them): ${where}${issue.message}`)
      }
      yield { line, envelope: parsed.data as Envelope }
    }
  } catch (error) {
    // decodeUtf8 refuses invalid UTF-8 with a 400 LedgerError meant for imports: same refusal here.
    if (error instanceof Error && (error as { code?: unknown }).code === 'invalid-encoding') throw new RefusedFile(0, error.message)
    throw error
  }
}

/** A file `checkExportFile` read whole and found to be a log a store could have written. */
export interface CheckedFile {
  file: string
  events: number
  streams: number
  /** verify's summary digest of the file's stream heads: `verify` on the restored store gives the same. */
  digest: string
}

/**
 * Reads the whole file and refuses it unless it is a log a store could have written: valid
 * envelopes, positions increasing, each eventId once, and every stream's revisions and hash
 * chain whole (each hash recomputed). Holds the eventIds and one head per stream, nothing else.
 */
export async function checkExportFile(file: string, onProgress?: (events: number) => void): Promise<CheckedFile> {
  const verifier = new ChainVerifier()
  const seen = new Set<string>()
  let lastPosition = 0
  for await (const { line, envelope: e } of readExportFile(file)) {
    if (e.position <= lastPosition) {
      throw new RefusedFile(line, `position ${e.position} does not follow ${lastPosition}: the file is not in log order`)
    }
    if (seen.has(e.eventId)) throw new RefusedFile(line, `eventId ${e.eventId} appears twice`)
    seen.add(e.eventId)
    verifier.check(e)
    const broken = verifier.firstBreak
    if (broken !== undefined) {
      throw new RefusedFile(line, `event ${e.eventId} (${e.streamId} revision ${e.streamRevision}) breaks its stream's chain: ` +
        `${broken.reason} is ${JSON.stringify(broken.found)}, the chain says ${JSON.stringify(broken.expected)}`)
    }
    lastPosition = e.position
    if (verifier.events % 10_000 === 0) onProgress?.(verifier.events)
  }
  const result = verifier.result()
  onProgress?.(result.events)
  if (result.events === 0) throw new RefusedFile(0, 'the file holds no events: nothing to restore')
  return { file, events: result.events, streams: result.streams, digest: result.digest }
}

/** The store holds no ledger event; restore writes only into such a store. */
export async function isEmptyStore(store: EventStore): Promise<boolean> {
  return (await store.headPosition()) === 0
}

/**
 * Appends a checked file verbatim, in batches (`store.restore`). The store refuses anything that
 * does not continue what it holds; a failure midway leaves the batches before it written, so a
 * restore is started again only into a fresh, empty store.
 */
export async function restoreFile(store: EventStore, checked: CheckedFile, onProgress?: (events: number) => void): Promise<number> {
  const restore = store.restore?.bind(store)
  if (restore === undefined) throw new Error(`the ${store.kind} store cannot restore`)
  let batch: Envelope[] = []
  let written = 0
  const flush = async () => {
    await restore(batch)
    written += batch.length
    batch = []
    onProgress?.(written)
  }
  for await (const { envelope } of readExportFile(checked.file)) {
    batch.push(envelope)
    if (batch.length >= RESTORE_BATCH) await flush()
  }
  if (batch.length > 0) await flush()
  return written
}
