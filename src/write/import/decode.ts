/**
 * Bytes to text for imports: strict UTF-8, decoded chunk by chunk so a file is never held whole.
 * A leading byte order mark (spreadsheets write one in "CSV UTF-8") is dropped by the decoder.
 */
import { LedgerError } from '../../errors'

/** A file refused whole, before any row is decided: 400 with a code saying why. */
export const refused = (code: string, message: string) => new LedgerError(400, code, message)

/**
 * Decodes UTF-8, throwing 400 invalid-encoding at the first invalid byte sequence. The line it
 * names is found by decoding the failing chunk leniently up to the first replacement character.
 */
export async function* decodeUtf8(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true })
  let newlines = 0
  const emit = (text: string) => {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) newlines++
    return text
  }
  for await (const chunk of chunks) {
    let text: string
    try {
      text = decoder.decode(chunk, { stream: true })
    } catch {
      throw invalidEncoding(newlines + 1 + linesBeforeInvalid(chunk))
    }
    if (text !== '') yield emit(text)
  }
  let rest: string
  try {
    rest = decoder.decode()
  } catch {
    throw invalidEncoding(newlines + 1)
  }
  if (rest !== '') yield emit(rest)
}

function linesBeforeInvalid(chunk: Uint8Array): number {
  const lenient = new TextDecoder('utf-8').decode(chunk)
  const bad = lenient.indexOf('\ufffd')
  return bad === -1 ? 0 : lenient.slice(0, bad).split('\n').length - 1
}

const invalidEncoding = (line: number) => refused(
  'invalid-encoding',
  `the file is not valid UTF-8 (first invalid bytes on line ${line}); save it as UTF-8 (in a spreadsheet: "CSV UTF-8") and send it again; nothing was written`,
)

export interface Line {
  /** 1-based line number in the file. */
  line: number
  text: string
  /** The line was longer than the limit: `text` is empty and the rest was skipped. */
  tooLong?: true
}

/**
 * Splits text into lines (LF or CRLF; a last line without a newline counts). A line longer than
 * `maxLength` characters is not accumulated: it is reported `tooLong` so memory stays bounded.
 */
export async function* splitLines(texts: AsyncIterable<string>, maxLength: number): AsyncGenerator<Line> {
  let line = 1
  let pending = ''
  let tooLong = false
  const finish = (text: string): Line => {
    const body = text.endsWith('\r') ? text.slice(0, -1) : text
    const out: Line = tooLong || body.length > maxLength ? { line, text: '', tooLong: true } : { line, text: body }
    line++
    tooLong = false
    return out
  }
  for await (const text of texts) {
    let start = 0
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const piece = text.slice(start, nl)
      yield finish(tooLong ? '' : pending + piece)
      pending = ''
      start = nl + 1
    }
    if (!tooLong) pending += text.slice(start)
    if (pending.length > maxLength) {
      tooLong = true
      pending = ''
    }
  }
  if (pending !== '' || tooLong) yield finish(pending)
}
