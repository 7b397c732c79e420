/**
 * The columns of a CSV import, read off the event type's zod schema: one per data field, nested
 * fields dotted (`employer.name`), plus `learnerId` and an optional `eventId`. Cells become the
 * JSON values the schema takes, so a CSV row and the same row as NDJSON are the same event.
 */
import { z } from 'zod'
import { learnerInputs, type LearnerEventType } from '../../../events'
import { refused } from './decode'

type Kind = 'string' | 'number' | 'boolean'

export interface DataColumn {
  name: string
  path: string[]
  kind: Kind
  /** Required unless the field, or an object holding it, is optional. */
  required: boolean
}

function walk(schema: z.ZodType, path: string[], required: boolean, out: DataColumn[]): void {
  if (schema instanceof z.ZodOptional) return walk(schema.unwrap() as z.ZodType, path, false, out)
  if (schema instanceof z.ZodObject) {
    for (const [key, field] of Object.entries(schema.shape)) walk(field as z.ZodType, [...path, key], required, out)
    return
  }
  out.push({ name: path.join('.'), path, kind: kindOf(schema), required })
}

function kindOf(schema: z.ZodType): Kind {
  if (schema instanceof z.ZodNumber) return 'number'
  if (schema instanceof z.ZodBoolean) return 'boolean'
  // monthsAfterCompletion: 3 | 6 | 12
  if (schema instanceof z.ZodUnion && schema.options.every((o) => o instanceof z.ZodLiteral && o.values.size > 0 && [...o.values].every((v) => typeof v === 'number'))) {
    return 'number'
  }
  return 'string'
}

/** Every data column of a learner event type, in schema order. */
export function dataColumns(type: LearnerEventType): DataColumn[] {
  const out: DataColumn[] = []
  walk(learnerInputs[type], [], true, out)
  return out
}

export interface CsvLayout {
  /** Per header cell: where its value goes. */
  cells: Array<{ role: 'learnerId' } | { role: 'eventId' } | { role: 'data'; column: DataColumn }>
  width: number
}

/**
 * Checks a header against the type's columns: every cell must name a column, once, and every
 * required column must be there. Any fault refuses the whole file (400), before a row is read.
 */
export function layoutOf(header: string[], type: LearnerEventType): CsvLayout {
  const columns = new Map(dataColumns(type).map((c) => [c.name, c]))
  const expected = () => `the columns of ${type} are learnerId, ${[...columns.values()].map((c) => (c.required ? c.name : `${c.name} (optional)`)).join(', ')}, eventId (optional)`
  const seen = new Set<string>()
  const cells = header.map((name): CsvLayout['cells'][number] => {
    if (seen.has(name)) throw refused('duplicate-column', `column "${name}" appears twice in the header; nothing was written`)
    seen.add(name)
    if (name === 'learnerId') return { role: 'learnerId' }
    if (name === 'eventId') return { role: 'eventId' }
    const column = columns.get(name)
    if (column === undefined) throw refused('unknown-column', `column "${name}" is not a field of ${type}; ${expected()}; nothing was written`)
    return { role: 'data', column }
  })
  const missing = ['learnerId', ...[...columns.values()].filter((c) => c.required).map((c) => c.name)].filter((n) => !seen.has(n))
  if (missing.length > 0) {
    throw refused('missing-column', `the header lacks the required column${missing.length > 1 ? 's' : ''} ${missing.map((m) => `"${m}"`).join(', ')}; ${expected()}; nothing was written`)
  }
  return { cells, width: header.length }
}

const NUMBER = /^[+-]?\d+(\.\d+)?$/
const DECIMAL_COMMA = /^[+-]?\d+,\d+$/

/**
 * A cell as the JSON value its column takes. A cell that does not read as its kind stays a
 * string, so the schema rejects the row with a message naming the field. `decimalComma`: in a
 * `;`-separated file (French-locale spreadsheets) `12,5` reads as 12.5.
 */
export function cellValue(cell: string, kind: Kind, decimalComma: boolean): unknown {
  switch (kind) {
    case 'string':
      return cell
    case 'number':
      if (NUMBER.test(cell)) return Number(cell)
      if (decimalComma && DECIMAL_COMMA.test(cell)) return Number(cell.replace(',', '.'))
      return cell
    case 'boolean': {
      const lower = cell.toLowerCase()
      return lower === 'true' ? true : lower === 'false' ? false : cell
    }
    default: {
      const _: never = kind
      return _
    }
  }
}

/** Sets `value` at `path` inside `target`, creating nested objects on the way. */
export function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target
  for (const key of path.slice(0, -1)) {
    const next = node[key]
    if (typeof next === 'object' && next !== null) node = next as Record<string, unknown>
    else node = (node[key] = {}) as Record<string, unknown>
  }
  node[path[path.length - 1]] = value
}
