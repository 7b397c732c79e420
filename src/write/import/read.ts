/**
 * Reading an import: bytes to rows, by format. A file is read twice: `checkImport` reads it all
 * first and refuses it whole (400) for what no row can survive (invalid UTF-8, a bad CSV header or
 * quote, no rows), so that nothing is written from a file that is refused; then `readImport`
 * reads it again, row by row, for the importer. Neither holds more than a row at a time.
 */
import { readCsv } from './csv'
import { decodeUtf8, refused, splitLines } from './decode'
import { MAX_LINE_LENGTH, readNdjson } from './ndjson'
import type { ImportFormat, ImportItem } from './types'

export function readImport(format: ImportFormat, chunks: AsyncIterable<Uint8Array>): AsyncGenerator<ImportItem> {
  const texts = decodeUtf8(chunks)
  return format.kind === 'csv' ? readCsv(texts, format.type) : readNdjson(texts)
}

/**
 * Reads the whole file; resolves with its row count, or throws the 400 that refuses it. NDJSON
 * lines are only counted here (a bad line is a row's fault, found on the second read); a CSV
 * file is parsed whole, since a bad quote or header refuses it.
 */
export async function checkImport(format: ImportFormat, chunks: AsyncIterable<Uint8Array>): Promise<{ rows: number }> {
  let rows = 0
  if (format.kind === 'csv') {
    for await (const _ of readCsv(decodeUtf8(chunks), format.type)) rows++
  } else {
    for await (const { text, tooLong } of splitLines(decodeUtf8(chunks), MAX_LINE_LENGTH)) if (tooLong || text.trim() !== '') rows++
  }
  if (rows === 0) {
    throw refused('empty-import', format.kind === 'csv'
      ? 'the file has a header but no rows; nothing was written'
      : 'the file holds no rows (it is empty or blank); an NDJSON import is one {learnerId, type, data, eventId?} a line')
  }
  return { rows }
}
