/**
 * The per-row report of an import, written as rows come: JSON (the HTTP answer and `--report
 * x.json`) or CSV (`--report x.csv`). Neither holds more than a few rows at a time.
 */
import { csvCell } from '../../csv'
import { tally } from './importer'
import type { ImportTotals, RowResult } from './types'

const FLUSH_AT = 16 * 1024

/**
 * `{"rows":[...],"accepted":n,"rejected":n,"duplicate":n,...closing}`: the rows stream first, in
 * file order, and the totals close the object, since they are known only at the end; `closing()`
 * adds fields known only then (the ledger position).
 */
export async function* jsonReport(
  results: AsyncIterable<RowResult>, closing: () => Record<string, unknown> = () => ({}),
): AsyncGenerator<string> {
  const totals: ImportTotals = { accepted: 0, rejected: 0, duplicate: 0 }
  let buffer = '{"rows":['
  let first = true
  for await (const result of results) {
    tally(totals, result)
    buffer += (first ? '' : ',') + JSON.stringify(result)
    first = false
    if (buffer.length >= FLUSH_AT) {
      yield buffer
      buffer = ''
    }
  }
  yield `${buffer}],${JSON.stringify({ ...totals, ...closing() }).slice(1)}`
}

const CSV_COLUMNS = ['line', 'status', 'code', 'message', 'eventId'] as const

/**
 * RFC 4180 CSV, one line per row: line,status,code,message,eventId. Cells go through the
 * service's one CSV cell writer: a message can quote the file's own cells, so it is neutralised
 * against formula injection like every CSV the service writes.
 */
export async function* csvReport(results: AsyncIterable<RowResult>): AsyncGenerator<string> {
  let buffer = `${CSV_COLUMNS.join(',')}\r\n`
  for await (const result of results) {
    buffer += `${CSV_COLUMNS.map((c) => csvCell(result[c])).join(',')}\r\n`
    if (buffer.length >= FLUSH_AT) {
      yield buffer
      buffer = ''
    }
  }
  if (buffer !== '') yield buffer
}
