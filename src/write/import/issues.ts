/**
 * Zod issues as one short line that names each bad field by its path, once:
 * `data.birthYear: expected an integer; data.region: expected one of MA-01…MA-12`. Shared by the
 * HTTP error handler (a 400 `validation`) and imports (a rejected row's message).
 *
 * A union reports the issues of every branch; only those of the branch the input was meant for
 * are kept (`focusIssues`): the branch whose issues least say "this is not my shape" (a key it
 * requires missing, a key it does not know, the value itself of another type), then the one with
 * the fewest issues. So a learner event body with `events` (and no `type` or `data`) is read as a
 * batch and one without as a single event, and an event's `data` by its `type` (the
 * discriminated union already picks that branch). When every branch fails on the value itself
 * (`3 | 6 | 12` given 4), the message says what each would have taken.
 *
 * A field absent from the input is `required`, whatever the schema would have checked next (an
 * enum reports a missing value as "Invalid option"). The messages a schema sets itself ("a date
 * is YYYY-MM-DD") are kept; zod's generic ones are said shortly.
 */

export type IssuePath = Array<string | number>

/** A zod issue, as zod gives it or as fastify-type-provider-zod flattens it (extra fields kept). */
export interface IssueLike {
  code?: string
  path?: ReadonlyArray<PropertyKey>
  message?: string
}
type Fields = IssueLike & Record<string, unknown>

/** A zod issue with its path from the input's root and no nested branches. */
export interface Issue {
  code: string
  path: IssuePath
  message: string
  [field: string]: unknown
}

export interface DescribeOptions {
  /** What an unknown key is called: `field` (default) or `parameter` (a query string). */
  unknownKey?: 'field' | 'parameter'
}

/** The issues the input's own branch of each union gives, with absolute paths. */
export function focusIssues(issues: readonly IssueLike[], input: unknown): Issue[] {
  return focus(issues, input, [])
}

/** One line naming each bad path once, in order, the first few of them (under 300 characters). */
export function describeIssues(issues: readonly IssueLike[], input: unknown, options: DescribeOptions = {}): string {
  return summariseIssues(focusIssues(issues, input), input, options)
}

/** The first issue at each path (a value that fails two checks is one fault); unknown keys all kept. */
export function firstAtEachPath(issues: readonly Issue[]): Issue[] {
  const seen = new Set<string>()
  return issues.filter((issue) => {
    if (issue.code === 'unrecognized_keys') return true
    const key = JSON.stringify(issue.path)
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/**
 * Focused issues for an answer's details: each message said as `describeIssues` says it, and an
 * unknown-keys issue naming MAX_KEYS keys at most (a body may hold thousands).
 */
export function withShortMessages(issues: readonly Issue[], input: unknown, options: DescribeOptions = {}): Issue[] {
  return issues.map((issue) => {
    if (issue.code !== 'unrecognized_keys' || !Array.isArray(issue.keys)) return { ...issue, message: clip(textOf(issue, input), MAX_TEXT) }
    const keys = issue.keys.slice(0, MAX_KEYS).map((k) => clip(String(k), 100))
    const more = issue.keys.length > keys.length ? ` and ${issue.keys.length - keys.length} more` : ''
    const named = keys.map((k) => renderPath([k])).join(', ')
    return { ...issue, keys, message: clip(`unknown ${options.unknownKey ?? 'field'}${issue.keys.length > 1 ? 's' : ''}: ${named}${more}`, MAX_TEXT) }
  })
}

/**
 * Past this length a message lists no more paths. The first one is always said, clipped to
 * MAX_PATH + MAX_TEXT: with "invalid querystring: " and "; and N more", under 300 characters.
 */
const MESSAGE_BUDGET = 240
const MAX_TEXT = 220
const MAX_PATH = 40
const MAX_SEGMENT = 30
const MAX_KEYS = 20
const MAX_VALUES = 12

/** `describeIssues` of issues already focused. */
export function summariseIssues(issues: readonly Issue[], input: unknown, options: DescribeOptions = {}): string {
  const seen = new Set<string>()
  const parts: string[] = []
  for (const issue of issues) {
    for (const entry of entriesOf(issue, input, options)) {
      const where = renderPath(entry.path)
      if (seen.has(where)) continue
      seen.add(where)
      parts.push(`${where === '' ? '' : `${where}: `}${clip(entry.text, MAX_TEXT)}`)
    }
  }
  let message = ''
  let shown = 0
  for (const part of parts) {
    const next = shown === 0 ? part : `${message}; ${part}`
    if (shown > 0 && next.length > MESSAGE_BUDGET) break
    message = next
    shown++
  }
  return shown < parts.length ? `${message}; and ${parts.length - shown} more` : message
}

function focus(issues: readonly IssueLike[], input: unknown, base: IssuePath): Issue[] {
  const out: Issue[] = []
  for (const issue of issues as readonly Fields[]) {
    const path = [...base, ...toPath(issue.path)]
    const branches = Array.isArray(issue.errors) ? (issue.errors as unknown[]).filter(Array.isArray) as IssueLike[][] : []
    if (issue.code === 'invalid_union' && branches.length > 0) out.push(...pick(branches.map((b) => focus(b, input, path)), input, path))
    else out.push(plain(issue, path))
  }
  return out
}

/** The issue without nested branches, its input or a format's long pattern. */
function plain(issue: Fields, path: IssuePath): Issue {
  const { errors: _errors, input: _input, path: _path, code, message, ...rest } = issue
  if (rest.pattern !== undefined && rest.format !== 'regex') delete rest.pattern
  return { code: String(code ?? 'invalid'), path, message: String(message ?? 'invalid'), ...rest }
}

/**
 * The branch of a union the input was meant for. When every branch fails on the value itself
 * (3 | 6 | 12, or an object for a string), one issue says what each would have taken.
 */
function pick(branches: Issue[][], input: unknown, at: IssuePath): Issue[] {
  const onValue = (i: Issue) => samePath(i.path, at) && (i.code === 'invalid_type' || i.code === 'invalid_value')
  if (branches.every((b) => b.length > 0 && b.every(onValue))) {
    const expected = unique(branches.flat().filter((i) => i.code === 'invalid_type').map((i) => String(i.expected)))
    const values = unique(branches.flat().filter((i) => i.code === 'invalid_value').flatMap((i) => (Array.isArray(i.values) ? i.values : [])))
    return [{ code: 'invalid_union', path: at, message: 'Invalid input', ...(expected.length > 0 ? { expected } : {}), ...(values.length > 0 ? { values } : {}) }]
  }
  const candidates = branches.filter((b) => b.length > 0)
  if (candidates.length === 0) return [{ code: 'invalid_union', path: at, message: 'Invalid input' }]
  let best = candidates[0]
  let bestScore = misfit(best, input, at)
  for (const branch of candidates.slice(1)) {
    const score = misfit(branch, input, at)
    if (score < bestScore || (score === bestScore && branch.length < best.length)) {
      best = branch
      bestScore = score
    }
  }
  return best
}

/** How much a branch's issues say the input is not of its shape at `at`. */
function misfit(issues: readonly Issue[], input: unknown, at: IssuePath): number {
  let n = 0
  for (const issue of issues) {
    if (samePath(issue.path, at)) n += issue.code === 'unrecognized_keys' && Array.isArray(issue.keys) ? issue.keys.length : 1
    else if (issue.path.length === at.length + 1 && samePath(issue.path.slice(0, -1), at) && valueAt(input, issue.path).found === false) n++
  }
  return n
}

interface Entry { path: IssuePath; text: string }

/** What an issue says, path by path: an unknown-keys issue names each key. */
function entriesOf(issue: Issue, input: unknown, options: DescribeOptions): Entry[] {
  if (issue.code === 'unrecognized_keys' && Array.isArray(issue.keys)) {
    return issue.keys.map((key) => ({ path: [...issue.path, String(key)], text: `unknown ${options.unknownKey ?? 'field'}` }))
  }
  return [{ path: issue.path, text: textOf(issue, input) }]
}

/** zod's own messages (its English locale); any other message was written by a schema and is kept. */
const ZOD_DEFAULT = /^(Invalid |Too (big|small): |Unrecognized keys?: )/

function textOf(issue: Issue, input: unknown): string {
  const at = valueAt(input, issue.path)
  if (issue.path.length > 0 && at.found === false) return 'required'
  if (issue.path.length > 0 && at.found === undefined && issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) return 'required'
  if (!ZOD_DEFAULT.test(issue.message)) return issue.message
  // No body at all: the path is the root's, and nothing is there.
  const nothing = issue.path.length === 0 && at.found === true && at.value === undefined ? ', got nothing' : ''
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${typeName(String(issue.expected))}${nothing}`
    case 'invalid_value':
      return expectedValues(Array.isArray(issue.values) ? issue.values : [])
    case 'invalid_union': {
      if (Array.isArray(issue.options) && issue.options.length > 0) return expectedValues(issue.options)
      const types = Array.isArray(issue.expected) ? issue.expected.map((e) => typeName(String(e))) : []
      const values = Array.isArray(issue.values) ? issue.values : []
      if (values.length > 0 && types.length === 0) return expectedValues(values)
      const said = [...types, ...(values.length > 0 ? [listValues(values)] : [])]
      return said.length > 0 ? `expected ${said.join(' or ')}${nothing}` : 'matches none of the accepted forms'
    }
    case 'too_small':
      return bound(issue, 'at least', 'greater than')
    case 'too_big':
      return bound(issue, 'at most', 'less than')
    case 'invalid_format':
      return formatText(issue)
    case 'not_multiple_of':
      return `expected a multiple of ${String(issue.divisor)}`
    case 'invalid_key':
      return 'invalid key'
    case 'invalid_element':
      return 'invalid value'
    default:
      return 'invalid'
  }
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string', number: 'a number', int: 'an integer', bigint: 'an integer', boolean: 'true or false',
  object: 'an object', array: 'an array', null: 'null', date: 'a date', record: 'an object', map: 'an object',
}
const typeName = (expected: string) => TYPE_NAMES[expected] ?? expected

function bound(issue: Issue, inclusive: string, exclusive: string): string {
  const limit = Number(issue.minimum ?? issue.maximum)
  const origin = String(issue.origin ?? '')
  const unit = origin === 'string' ? 'character' : origin === 'array' || origin === 'set' ? 'item' : origin === 'file' ? 'byte' : ''
  if (unit !== '') {
    if (issue.code === 'too_small' && limit === 1 && issue.exact !== true) return origin === 'string' ? 'must not be empty' : `at least 1 ${unit}`
    const count = `${limit} ${unit}${limit === 1 ? '' : 's'}`
    return issue.exact === true ? `exactly ${count}` : `${inclusive} ${count}`
  }
  if (issue.exact === true) return `exactly ${limit}`
  return issue.inclusive === false ? `${exclusive} ${limit}` : `${inclusive} ${limit}`
}

const FORMAT_NAMES: Record<string, string> = {
  uuid: 'a UUID', guid: 'a UUID', datetime: 'an ISO 8601 date-time', date: 'a date YYYY-MM-DD', time: 'a time HH:MM:SS',
  email: 'an email address', url: 'a URL', regex: 'text of the expected pattern',
}

function formatText(issue: Issue): string {
  const format = String(issue.format ?? '')
  if (format === 'starts_with') return `expected text starting with ${String(issue.prefix)}`
  if (format === 'ends_with') return `expected text ending with ${String(issue.suffix)}`
  if (format === 'includes') return `expected text including ${String(issue.includes)}`
  return `expected ${FORMAT_NAMES[format] ?? `a valid ${format}`}`
}

function expectedValues(values: readonly unknown[]): string {
  if (values.length === 0) return 'not an accepted value'
  return values.length === 1 ? `expected ${valueText(values[0])}` : `expected one of ${listValues(values)}`
}

/** Values joined by commas; a numbered run (MA-01 to MA-12) as its ends. */
function listValues(values: readonly unknown[]): string {
  const run = numberedRun(values)
  if (run !== undefined) return run
  const shown = values.slice(0, MAX_VALUES).map(valueText).join(', ')
  return values.length > MAX_VALUES ? `${shown}, … (${values.length} in all)` : shown
}

function numberedRun(values: readonly unknown[]): string | undefined {
  if (values.length < 4 || !values.every((v) => typeof v === 'string')) return undefined
  const parts = (values as string[]).map((v) => /^(.*?)(\d+)$/.exec(v))
  if (parts.some((m) => m === null)) return undefined
  const [first] = parts as RegExpExecArray[]
  const ok = (parts as RegExpExecArray[]).every((m, i) =>
    m[1] === first[1] && m[2].length === first[2].length && Number(m[2]) === Number(first[2]) + i)
  return ok ? `${valueText(values[0])}…${valueText(values[values.length - 1])}` : undefined
}

function valueText(value: unknown): string {
  if (typeof value === 'string') return /^[\w+.:@/-]+$/.test(value) ? clip(value, MAX_SEGMENT) : JSON.stringify(clip(value, MAX_SEGMENT))
  return String(value)
}

/** `data.employer.name`, `events[0].data.cohortId`; odd keys quoted, long ones clipped. */
export function renderPath(path: readonly (string | number)[]): string {
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment) && segment.length <= MAX_SEGMENT) out += out === '' ? segment : `.${segment}`
    else out += `[${JSON.stringify(clip(segment, MAX_SEGMENT))}]`
  }
  return clip(out, MAX_PATH)
}

function toPath(path: IssueLike['path']): IssuePath {
  return (path ?? []).map((p) => (typeof p === 'number' ? p : String(p)))
}

/**
 * The input's value at `path`: found true (the value), false (a key absent on the way, or the
 * value itself undefined), or undefined when there is no input to look in.
 */
function valueAt(input: unknown, path: IssuePath): { found: boolean | undefined; value?: unknown } {
  if (input === NO_INPUT) return { found: undefined }
  let node: unknown = input
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return { found: false }
    node = (node as Record<string | number, unknown>)[key]
  }
  return node === undefined && path.length > 0 ? { found: false } : { found: true, value: node }
}

/** Pass as `input` when the input is not at hand: absent fields are then told by zod's message. */
export const NO_INPUT: unique symbol = Symbol('no input')

const samePath = (a: IssuePath, b: IssuePath) => a.length === b.length && a.every((p, i) => p === b[i])
const unique = <T>(xs: T[]): T[] => [...new Set(xs)]
const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 1)}…` : s)
