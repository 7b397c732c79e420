/** RFC 4180 CSV: fields quoted when they hold a separator, a quote or a line break. */
function field(value: unknown): string {
  if (value === null || value === undefined) return ''
  const text = String(value)
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
  const lines = [header.map(field).join(',')]
  for (const row of flat) lines.push(header.map((column) => field(row[column])).join(','))
  return `${lines.join('\r\n')}\r\n`
}

/** `?format=csv` or `Accept: text/csv` asks for CSV. */
export function wantsCsv(format: string | undefined, accept: string | undefined): boolean {
  if (format !== undefined) return format === 'csv'
  return accept !== undefined && /\btext\/csv\b/.test(accept)
}
