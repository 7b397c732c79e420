/**
 * Reading figures off the dashboard and what they should read, given the API's answers. The
 * formats are written out here again (en-GB), independently of the page's own code.
 */
import type { Test } from 'tap'
import type { Page } from 'playwright-core'

// The API's JSON, as the test reads it.
export type Answer = any

const int = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 })
const pct = new Intl.NumberFormat('en-GB', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 })
const date = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' })

export const FORMAT = {
  int: (n: number) => int.format(n),
  /** A null rate shows a dash, with the words a screen reader says beside it. */
  rate: (x: number | null) => (x === null ? '—not measurable yet' : pct.format(x)),
  date: (iso: string) => date.format(new Date(`${iso}T00:00:00Z`)),
}

export const programmeOf = (answer: Answer) => answer.groups[0]

export async function readText(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').trim()
}

/** A table's cells as {rowKey: {field: text}}, rows in page order. */
export async function readRows(page: Page, tableId: string): Promise<Record<string, Record<string, string>>> {
  const rows: Array<[string, Array<[string, string]>]> = await page.$$eval(`#${tableId} tbody tr`, (trs: any[]) =>
    trs.map((tr) => [tr.dataset.key, [...tr.querySelectorAll('td[data-field]')].map((td: any) => [td.dataset.field, td.textContent.trim()])]))
  return Object.fromEntries(rows.map(([key, cells]) => [key, Object.fromEntries(cells)]))
}

function insertionCells(g: Answer): Record<string, string> {
  return {
    insertionRate: FORMAT.rate(g.insertionRate), measurable: FORMAT.int(g.measurable), placed: FORMAT.int(g.placed),
    placedVerified: FORMAT.int(g.placedVerified),
    'provisional.completed': FORMAT.int(g.provisional.completed), 'provisional.placedSoFar': FORMAT.int(g.provisional.placedSoFar),
  }
}

const keyed = (groups: Answer[], cells: (g: Answer) => Record<string, string>) => Object.fromEntries(groups.map((g) => [g.key, cells(g)]))

export interface Answers {
  progress: Answer
  programme: Answer
  programmeEmployment: Answer
  insertion: Answer
  employment: Answer
  cohorts: Answer
  /** asOf or knownAt chosen: progress is read from the programme group. */
  travelling: boolean
}

export async function expectRows(t: Test, page: Page, a: Answers): Promise<void> {
  const g = programmeOf(a.programme)
  const e = programmeOf(a.programmeEmployment)
  const target = a.progress.learnersTarget
  const enrolled = a.travelling ? g.enrolled : a.progress.enrolled
  const share = a.travelling ? enrolled / target : a.progress.share
  t.same({
    enrolled: await readText(page, '#progress-body [data-field="enrolled"]'),
    learnersTarget: await readText(page, '#progress-body [data-field="learnersTarget"]'),
    share: await readText(page, '#progress-body [data-field="share"]'),
    deadline: await readText(page, '#progress-body [data-field="deadline"]'),
  }, { enrolled: FORMAT.int(enrolled), learnersTarget: FORMAT.int(target), share: FORMAT.rate(share), deadline: FORMAT.date(a.progress.deadline) }, 'progress to target')

  const stages = ['applicants', 'accepted', 'enrolled', 'completed', 'placed']
  t.same(await readRows(page, 'funnel-data'), Object.fromEntries(stages.map((s) => [s, { count: FORMAT.int(g[s]) }])), 'the funnel')
  t.same({
    withdrawalRate: await readText(page, '#funnel-rates [data-field="withdrawalRate"]'),
    completionRate: await readText(page, '#funnel-rates [data-field="completionRate"]'),
    insertionRate: await readText(page, '#funnel-rates [data-field="insertionRate"]'),
    employmentRate: await readText(page, '#funnel-rates [data-field="employmentRate"]'),
  }, {
    withdrawalRate: FORMAT.rate(g.withdrawn / g.enrolled), completionRate: FORMAT.rate(g.completed / g.enrolled),
    insertionRate: FORMAT.rate(g.insertionRate), employmentRate: FORMAT.rate(e.employmentRate),
  }, 'the programme\'s rates')

  const insertion = await readRows(page, 'insertion-data')
  t.same(Object.keys(insertion), a.insertion.groups.map((x: Answer) => x.key), 'insertion: the API\'s groups, in its order')
  t.same(insertion, keyed(a.insertion.groups, insertionCells), 'insertion rate by group, measurable beside it, provisional apart')
  t.same(await readRows(page, 'employment-data'), keyed(a.employment.groups, (x) => ({
    employmentRate: FORMAT.rate(x.employmentRate), employed: FORMAT.int(x.employed), responded: FORMAT.int(x.responded),
    due: FORMAT.int(x.due), responseRate: FORMAT.rate(x.responseRate), completed: FORMAT.int(x.completed),
  })), 'employment rate by group, responded and due beside it')
  t.same(await readRows(page, 'cohorts-data'), keyed(a.cohorts.groups, (x) => ({
    applicants: FORMAT.int(x.applicants), accepted: FORMAT.int(x.accepted), enrolled: FORMAT.int(x.enrolled),
    withdrawn: FORMAT.int(x.withdrawn), completed: FORMAT.int(x.completed), ...insertionCells(x),
  })), 'the cohort list')
}
