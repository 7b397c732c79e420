/**
 * CSV imports of one event type: a header (`learnerId`, the type's data fields dotted, optional
 * `eventId`), then one row per event. The separator is `,` or `;` (French-locale spreadsheets),
 * read off the header line. Nothing is relaxed silently: a bad quote or an over-long record
 * refuses the file (400 invalid-csv, found by the check before anything is written); a row with
 * another cell count than the header is a rejected row (`ragged-row`); empty lines are skipped.
 */
import { Readable, pipeline } from 'node:stream'
import { parse, CsvError, type Info } from 'csv-parse'
import { z } from 'zod'
import { Id, type LearnerEventType } from '../../../events'
import { cellValue, layoutOf, setPath, type CsvLayout } from './csv-columns'
import { checkLearnerEvent } from '../inputs'
import { refused } from './decode'
import type { ImportItem } from './types'

/** The longest record read; a longer one refuses the file (as for a JSON body, 1 MiB). */
export const MAX_RECORD_SIZE = 1024 * 1024

const EventId = z.uuid()

export async function* readCsv(texts: AsyncIterable<string>, type: LearnerEventType): AsyncGenerator<ImportItem> {
  const { delimiter, text } = await sniffDelimiter(texts)
  const parser = parse({
    bom: true, delimiter, relax_column_count: true, skip_empty_lines: true, info: true, raw: true,
    max_record_size: MAX_RECORD_SIZE,
  })
  // pipeline: an error of the source (invalid UTF-8) reaches the parser and so this loop.
  pipeline(Readable.from(text), parser, () => {})
  let layout: CsvLayout | undefined
  try {
    for await (const { record, info, raw } of parser as AsyncIterable<{ record: string[]; info: Info; raw: string }>) {
      if (layout === undefined) {
        layout = layoutOf(record, type)
        continue
      }
      yield rowOf(record, startLine(info, raw), layout, type, delimiter === ';')
    }
  } catch (error) {
    if (error instanceof CsvError) throw refused('invalid-csv', `the file is not valid CSV: ${error.message}; nothing was written`)
    throw error
  } finally {
    parser.destroy()
  }
  if (layout === undefined) throw refused('empty-import', 'the file is empty: a CSV import needs a header line and at least one row')
}

function rowOf(record: string[], line: number, layout: CsvLayout, type: LearnerEventType, decimalComma: boolean): ImportItem {
  if (record.length !== layout.width) {
    return { line, code: 'ragged-row', message: `the row has ${record.length} cells; the header has ${layout.width}` }
  }
  let learnerId = ''
  let eventId: string | undefined
  const data: Record<string, unknown> = {}
  layout.cells.forEach((cell, i) => {
    const value = record[i]
    if (cell.role === 'learnerId') learnerId = value
    else if (value === '') return
    else if (cell.role === 'eventId') eventId = value
    else setPath(data, cell.column.path, cellValue(value, cell.column.kind, decimalComma))
  })
  if (!Id.safeParse(learnerId).success) {
    return { line, code: 'validation', message: `learnerId ${JSON.stringify(learnerId)} is not an id: 1 to 64 of A-Z a-z 0-9 _ -` }
  }
  if (eventId !== undefined && !EventId.safeParse(eventId).success) {
    return { line, code: 'validation', message: `eventId ${JSON.stringify(eventId)} is not a UUID` }
  }
  // The row's one check (inputs.ts): what passes reaches the commands as it is.
  const checked = checkLearnerEvent(type, data, eventId)
  if (!checked.ok) return { line, code: checked.code, message: checked.message }
  return { ...checked.event, line, learnerId, sent: data }
}

/**
 * The line a record starts on. csv-parse counts the line it ends on, and its raw text carries the
 * empty lines skipped before it; a quoted cell may span lines.
 */
function startLine(info: Info, raw: string): number {
  const body = raw.replace(/^[\r\n]+/, '').replace(/[\r\n]+$/, '')
  const inner = body.match(/\r\n|\r|\n/g)?.length ?? 0
  return info.lines - inner
}

/**
 * Reads up to the end of the first line and picks the separator it uses more of (`,` when
 * neither appears: a one-column header). Returns the text again, whole, for the parser.
 */
async function sniffDelimiter(texts: AsyncIterable<string>): Promise<{ delimiter: ',' | ';'; text: AsyncIterable<string> }> {
  const it = texts[Symbol.asyncIterator]()
  let head = ''
  while (!head.includes('\n') && head.length <= MAX_RECORD_SIZE) {
    const next = await it.next()
    if (next.done) break
    head += next.value
  }
  const end = head.indexOf('\n')
  const first = end === -1 ? head : head.slice(0, end)
  const count = (c: string) => first.split(c).length - 1
  const delimiter = count(';') > count(',') ? ';' : ','
  async function* again(): AsyncGenerator<string> {
    if (head !== '') yield head
    yield* { [Symbol.asyncIterator]: () => it }
  }
  return { delimiter, text: again() }
}
