/**
 * Moving a ledger from one store to another (SQLite to EventStoreDB and back): the log as NDJSON,
 * one stored envelope a line in log order, and that file restored into an empty store with its
 * eventIds, stream revisions, recordedAt and hashes as they were. Positions are the target
 * store's own: they mean nothing across stores.
 *
 * Both directions stream: export reads the log a page at a time as the output drains, restore
 * reads the file line by line and writes it in batches. A file is checked whole (shape, log
 * order, every hash chain) before anything is written, so a refused file writes nothing.
 */
import { once } from 'node:events'
import { createReadStream } from 'node:fs'
import type { Writable } from 'node:stream'
import { Envelope } from '../../events'
import type { EventStore } from '../store/types'
import { ChainVerifier, ndjsonChunks } from '../read/audit'
import { decodeUtf8, splitLines } from '../write/import/decode'

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

export interface ExportResult {
  events: number
  /** The head position when the export started: the last position exported (0: empty log). */
  head: number
}

/**
 * Writes the log as it stood when the call started, waiting for `out` to drain whenever its
 * buffer is full, so memory stays bounded however long the log and however slow the reader.
 */
export async function exportLog(store: EventStore, out: Writable, onProgress?: (events: number) => void): Promise<ExportResult> {
  const head = await store.headPosition()
  let events = 0
  let failed: Error | undefined
  const onError = (error: Error) => { failed = error }
  out.on('error', onError)
  try {
    for await (const chunk of ndjsonChunks(store, { until: head })) {
      if (failed !== undefined) throw failed
      for (let i = chunk.indexOf('\n'); i !== -1; i = chunk.indexOf('\n', i + 1)) events++
      if (!out.write(chunk)) await once(out, 'drain')
      onProgress?.(events)
    }
    if (failed !== undefined) throw failed
  } finally {
    out.off('error', onError)
  }
  return { events, head }
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

export interface CheckedFile {
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
  return { events: result.events, streams: result.streams, digest: result.digest }
}

/** The store holds no ledger event; restore writes only into such a store. */
export async function isEmptyStore(store: EventStore): Promise<boolean> {
  return (await store.headPosition()) === 0
}

/**
 * Writes a checked file into the store in batches (`store.restore`). The store refuses anything
 * that does not continue what it holds; a failure midway leaves the batches before it written,
 * so a restore is started again only into a fresh, empty store.
 */
export async function restoreFile(store: EventStore, file: string, onProgress?: (events: number) => void): Promise<number> {
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
  for await (const { envelope } of readExportFile(file)) {
    batch.push(envelope)
    if (batch.length >= RESTORE_BATCH) await flush()
  }
  if (batch.length > 0) await flush()
  return written
}
