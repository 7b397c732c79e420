/**
 * csvLines, the CSV written as its rows come (the import report): the same text as the whole-CSV
 * writer, in pieces of at least `flushAt` characters, and an error of the rows reaches the reader.
 */
import t from 'tap'
import { parse } from 'csv-parse/sync'
import { csvLines } from '../../src/csv'

const COLUMNS = ['line', 'status', 'message'] as const

async function text(pieces: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = []
  for await (const piece of pieces) out.push(piece)
  return out
}

async function* rows(n: number) {
  for (let i = 0; i < n; i++) yield { line: i + 2, status: i % 2 ? 'accepted' : 'rejected', message: i % 2 ? undefined : `=A${i}, "x"\nnext` }
}

t.test('header, then one CRLF line per record, cells quoted and neutralised', async (t) => {
  const pieces = await text(csvLines(rows(2), COLUMNS))
  t.same(pieces, ['line,status,message\r\n2,rejected,"\'=A0, ""x""\nnext"\r\n3,accepted,\r\n'])
})

t.test('no records: the header alone', async (t) => {
  t.same(await text(csvLines([], COLUMNS)), ['line,status,message\r\n'])
})

t.test('pieces of at least flushAt characters, the last one shorter, the text whole', async (t) => {
  const pieces = await text(csvLines(rows(500), COLUMNS, 1000))
  t.ok(pieces.length > 1, `not all at once: ${pieces.length} pieces`)
  t.same(pieces.slice(0, -1).filter((p) => p.length < 1000), [], 'none short but the last')
  const records = parse(pieces.join('')) as string[][]
  t.equal(records.length, 501)
  t.same(records[500], ['501', 'accepted', ''])
  t.same(records[499], ['500', 'rejected', "'=A498, \"x\"\nnext"])
})

t.test('an error of the records reaches the reader', async (t) => {
  async function* failing() {
    yield { line: 2, status: 'accepted', message: undefined }
    throw new Error('the file went away')
  }
  await t.rejects(text(csvLines(failing(), COLUMNS)), { message: 'the file went away' })
})
