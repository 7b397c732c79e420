/** Draws the page's sections from the API's answers; no fetching here. */
import type { EmploymentGroup, Figures, GroupBy, InsertionGroup, Progress, When } from './api'
import { barChart } from './charts'
import { byId, el, withSpoken } from './dom'
import { capital, day, dimension, groupName, int, locale, pct, t, tParts } from './i18n'
import { tableBlock, type Column } from './tables'

export interface Loaded {
  when: When
  groupBy: GroupBy
  progress: Progress
  programme: Figures<InsertionGroup>
  programmeEmployment: Figures<EmploymentGroup>
  insertion: Figures<InsertionGroup>
  employment: Figures<EmploymentGroup>
  cohorts: Figures<InsertionGroup>
}

export interface Actions {
  csv(figures: Figures<unknown>, groupBy: GroupBy): void
  explain(groupBy: GroupBy, key: string, figures: Figures<unknown>): void
}

const COLORS = { funnel: '#334155', insertion: '#1d4ed8', employment: '#0f766e', response: '#b45309' }

const rate = (x: number | null): Node | string => (x === null ? withSpoken('—', t('notMeasurable')) : pct(x))
const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole)
const figure = (field: string, text: Node | string, tag: 'strong' | 'span' = 'strong') => el(tag, { 'data-field': field }, text)

export function renderProgress(d: Loaded): void {
  const travelling = d.when.asOf !== undefined || d.when.knownAt !== undefined
  const target = d.progress.learnersTarget
  // /v1/indicators/progress answers for now only; at another point the programme group's
  // enrolled (learners enrolled by asOf, as known at knownAt) is the same count, then.
  const enrolled = travelling ? d.programme.groups[0]?.enrolled ?? 0 : d.progress.enrolled
  const share = target === null ? null : travelling ? enrolled / target : d.progress.share
  const body = byId('progress-body')
  if (target === null) {
    body.replaceChildren(el('p', { class: 'big' }, figure('enrolled', int(enrolled))), el('p', {}, t('noTarget')))
    return
  }
  const bar = el('div', {
    class: 'bar', role: 'progressbar', 'aria-label': t('progressBar'),
    'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': Math.min(100, (share ?? 0) * 100).toFixed(1), 'aria-valuetext': pct(share ?? 0),
  }, el('div', { class: 'bar-fill' }))
  ;(bar.firstElementChild as HTMLElement).style.width = `${Math.min(100, (share ?? 0) * 100)}%`
  body.replaceChildren(
    el('p', { class: 'big' }, ...tParts('progressLine', { enrolled: figure('enrolled', int(enrolled)), target: figure('learnersTarget', int(target), 'span') })),
    bar,
    el('p', { class: 'progress-meta' },
      el('span', {}, ...tParts('progressShare', { share: figure('share', pct(share ?? 0)) })),
      el('span', {}, ...tParts('deadline', { date: figure('deadline', d.progress.deadline === null ? '—' : day(d.progress.deadline), 'span') }))),
    el('p', { class: 'note' }, t(travelling ? 'progressPast' : 'progressNow')),
  )
}

function rateCard(field: string, title: string, value: number | null, detail: string, extra?: HTMLElement): HTMLElement {
  return el('div', { class: 'card rate-card' }, el('h3', {}, title), el('p', { class: 'rate' }, figure(field, rate(value))), el('p', { class: 'detail' }, detail), extra)
}

export function renderFunnel(d: Loaded, actions: Actions): void {
  const g = d.programme.groups[0]
  const e = d.programmeEmployment.groups[0]
  const box = byId('funnel-chart').parentElement as HTMLElement
  box.hidden = g === undefined
  if (g === undefined) {
    byId('funnel-table').replaceChildren(el('p', { class: 'empty' }, t('noGroups')))
    byId('funnel-rates').replaceChildren()
    return
  }
  const stages = (['applicants', 'accepted', 'enrolled', 'completed', 'placed'] as const).map((stage) => ({ stage, count: g[stage] }))
  barChart(byId<HTMLCanvasElement>('funnel-chart'), stages.map((s) => t(s.stage)), [{ label: t('learners'), values: stages.map((s) => s.count), color: COLORS.funnel }],
    { rate: false, format: int, locale: locale(), description: t('funnelChart') })
  const caption = t('funnelCaption', { definition: d.programme.definition, asOf: day(d.programme.asOf) })
  byId('funnel-table').replaceChildren(tableBlock({
    caption, rowHeadLabel: t('stage'), rowHead: (s) => t(s.stage), rowKey: (s) => s.stage, rows: stages,
    columns: [{ field: 'count', head: t('learners'), cell: (s) => int(s.count) }],
  }, 'funnel-data', { label: t('csv'), describe: t('csvLabel', { caption }), onClick: () => actions.csv(d.programme, 'programme') }),
  el('p', { class: 'note' }, t('placedNote')))
  const provisional = el('p', { class: 'prov-note' }, t('provisionalDetail', { completed: int(g.provisional.completed), placedSoFar: int(g.provisional.placedSoFar) }))
  const explain = el('button', { type: 'button', class: 'explain', 'aria-label': t('explainLabel', { group: t('programme') }) }, t('explain'))
  explain.addEventListener('click', () => actions.explain('programme', 'programme', d.programme))
  const employmentCard = e === undefined ? undefined : rateCard('employmentRate', t('employmentRate'), e.employmentRate,
    t('employmentDetail', { employed: int(e.employed), responded: int(e.responded), due: int(e.due), responseRate: e.responseRate === null ? '—' : pct(e.responseRate) }))
  byId('funnel-rates').replaceChildren(
    rateCard('withdrawalRate', t('withdrawalRate'), ratio(g.withdrawn, g.enrolled), t('withdrawalDetail', { withdrawn: int(g.withdrawn), enrolled: int(g.enrolled) })),
    rateCard('completionRate', t('completionRate'), ratio(g.completed, g.enrolled), t('completionDetail', { completed: int(g.completed), enrolled: int(g.enrolled) })),
    rateCard('insertionRate', t('insertionRate'), g.insertionRate, t('insertionDetail', { placed: int(g.placed), measurable: int(g.measurable) }), el('div', {}, provisional, explain)),
    ...(employmentCard ? [employmentCard] : []),
  )
}

const counted = (): string => t('inRate')
const apart = (): string => t('provisional')

function insertionColumns(): Column<InsertionGroup>[] {
  return [
    { field: 'insertionRate', head: t('insertionRate'), group: counted(), cell: (g) => rate(g.insertionRate) },
    { field: 'measurable', head: t('measurable'), group: counted(), cell: (g) => int(g.measurable) },
    { field: 'placed', head: t('placed'), group: counted(), cell: (g) => int(g.placed) },
    { field: 'placedVerified', head: t('placedVerified'), group: counted(), cell: (g) => int(g.placedVerified) },
    { field: 'provisional.completed', head: t('provCompleted'), group: apart(), tone: 'prov', cell: (g) => int(g.provisional.completed) },
    { field: 'provisional.placedSoFar', head: t('provPlaced'), group: apart(), tone: 'prov', cell: (g) => int(g.provisional.placedSoFar) },
  ]
}

function explainButton(actions: Actions, groupBy: GroupBy, figures: Figures<InsertionGroup>) {
  return {
    head: t('audit'),
    cell: (g: InsertionGroup) => {
      const button = el('button', { type: 'button', class: 'explain', 'aria-label': t('explainLabel', { group: groupName(groupBy, g.key) }) }, t('explain'))
      button.addEventListener('click', () => actions.explain(groupBy, g.key, figures))
      return button
    },
  }
}

/** A chart and a table, or a sentence when no group has a learner. */
function chartAndTable<G extends { key: string }>(prefix: string, figures: Figures<G>, draw: () => void, table: () => HTMLElement): void {
  const empty = figures.groups.length === 0
  ;(byId(`${prefix}-chart`).parentElement as HTMLElement).hidden = empty
  if (!empty) draw()
  byId(`${prefix}-table`).replaceChildren(empty ? el('p', { class: 'empty' }, t('noGroups')) : table())
}

export function renderBreakdown(d: Loaded, actions: Actions): void {
  const { groupBy, insertion, employment } = d
  const dim = dimension(groupBy)
  const names = (gs: Array<{ key: string }>) => gs.map((g) => groupName(groupBy, g.key))
  byId('insertion-title').textContent = t('insertionTitle', { dimension: dim })
  byId('employment-title').textContent = t('employmentTitle', { dimension: dim })
  const insertionCaption = t('insertionCaption', { dimension: dim, definition: insertion.definition, asOf: day(insertion.asOf) })
  chartAndTable('insertion', insertion,
    () => barChart(byId<HTMLCanvasElement>('insertion-chart'), names(insertion.groups),
      [{ label: t('insertionRate'), values: insertion.groups.map((g) => g.insertionRate), color: COLORS.insertion }],
      { rate: true, format: pct, locale: locale(), description: t('insertionChart', { dimension: dim }) }),
    () => tableBlock({
      caption: insertionCaption, rowHeadLabel: capital(dim), rowHead: (g) => groupName(groupBy, g.key), rowKey: (g) => g.key,
      rows: insertion.groups, columns: insertionColumns(), action: explainButton(actions, groupBy, insertion),
    }, 'insertion-data', { label: t('csv'), describe: t('csvLabel', { caption: insertionCaption }), onClick: () => actions.csv(insertion, groupBy) }))
  const employmentCaption = t('employmentCaption', { dimension: dim, definition: employment.definition, asOf: day(employment.asOf) })
  chartAndTable('employment', employment,
    () => barChart(byId<HTMLCanvasElement>('employment-chart'), names(employment.groups), [
      { label: t('employmentRate'), values: employment.groups.map((g) => g.employmentRate), color: COLORS.employment },
      { label: t('responseRate'), values: employment.groups.map((g) => g.responseRate), color: COLORS.response },
    ], { rate: true, format: pct, locale: locale(), description: t('employmentChart', { dimension: dim }) }),
    () => tableBlock({
      caption: employmentCaption, rowHeadLabel: capital(dim), rowHead: (g) => groupName(groupBy, g.key), rowKey: (g) => g.key, rows: employment.groups,
      columns: [
        { field: 'employmentRate', head: t('employmentRate'), cell: (g) => rate(g.employmentRate) },
        { field: 'employed', head: t('employed'), cell: (g) => int(g.employed) },
        { field: 'responded', head: t('responded'), cell: (g) => int(g.responded) },
        { field: 'due', head: t('due'), cell: (g) => int(g.due) },
        { field: 'responseRate', head: t('responseRate'), cell: (g) => rate(g.responseRate) },
        { field: 'completed', head: t('completed'), cell: (g) => int(g.completed) },
      ],
    }, 'employment-data', { label: t('csv'), describe: t('csvLabel', { caption: employmentCaption }), onClick: () => actions.csv(employment, groupBy) }))
}

export function renderCohorts(d: Loaded, actions: Actions): void {
  const { cohorts } = d
  const caption = t('cohortsCaption', { definition: cohorts.definition, asOf: day(cohorts.asOf) })
  const count = (field: 'applicants' | 'accepted' | 'enrolled' | 'withdrawn' | 'completed'): Column<InsertionGroup> =>
    ({ field, head: t(field), cell: (g) => int(g[field]) })
  byId('cohorts-table').replaceChildren(cohorts.groups.length === 0 ? el('p', { class: 'empty' }, t('noGroups')) : tableBlock({
    caption, rowHeadLabel: capital(dimension('cohort')), rowHead: (g) => g.key, rowKey: (g) => g.key, rows: cohorts.groups,
    columns: [count('applicants'), count('accepted'), count('enrolled'), count('withdrawn'), count('completed'), ...insertionColumns()],
    action: explainButton(actions, 'cohort', cohorts),
  }, 'cohorts-data', { label: t('csv'), describe: t('csvLabel', { caption }), onClick: () => actions.csv(cohorts, 'cohort') }))
}
