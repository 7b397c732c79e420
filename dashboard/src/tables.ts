/**
 * Accessible data tables: a caption, column headers with scope (and column groups with
 * scope=colgroup, e.g. the provisional figures set apart from the rate), one row header per
 * row. Rows carry data-key and cells data-field, so a test or a user script can find a figure.
 */
import { el } from './dom'

export interface Column<R> {
  field: string
  head: string
  cell(row: R): Node | string
  /** Columns sharing a group get one header above them. */
  group?: string
  /** Visual class of the column's cells (e.g. 'prov' for provisional figures). */
  tone?: string
}

export interface TableSpec<R> {
  caption: string
  rowHeadLabel: string
  rowHead(row: R): string
  rowKey(row: R): string
  columns: Column<R>[]
  rows: R[]
  /** A last column of buttons (e.g. explain), headed `head`. */
  action?: { head: string; cell(row: R): Node }
}

/** Consecutive columns with the same group, in order; ungrouped columns are runs of one. */
function runs<R>(columns: Column<R>[]): Array<{ group?: string; columns: Column<R>[] }> {
  const out: Array<{ group?: string; columns: Column<R>[] }> = []
  for (const column of columns) {
    const last = out[out.length - 1]
    if (last !== undefined && column.group !== undefined && last.group === column.group) last.columns.push(column)
    else out.push({ group: column.group, columns: [column] })
  }
  return out
}

function head<R>(spec: TableSpec<R>): { colgroups: HTMLElement[]; thead: HTMLTableSectionElement } {
  const grouped = spec.columns.some((c) => c.group !== undefined)
  const span = grouped ? 2 : undefined
  const top = el('tr', {}, el('th', { scope: 'col', rowspan: span }, spec.rowHeadLabel))
  const second = el('tr')
  const colgroups: HTMLElement[] = [el('colgroup', {})]
  for (const run of runs(spec.columns)) {
    colgroups.push(el('colgroup', { span: run.columns.length, class: run.columns[0].tone }))
    if (run.group === undefined) {
      const c = run.columns[0]
      top.append(el('th', { scope: 'col', rowspan: span, class: `num ${c.tone ?? ''}`.trim() }, c.head))
      continue
    }
    top.append(el('th', { scope: 'colgroup', colspan: run.columns.length, class: `group ${run.columns[0].tone ?? ''}`.trim() }, run.group))
    for (const c of run.columns) second.append(el('th', { scope: 'col', class: `num ${c.tone ?? ''}`.trim() }, c.head))
  }
  if (spec.action) {
    colgroups.push(el('colgroup', {}))
    top.append(el('th', { scope: 'col', rowspan: span }, spec.action.head))
  }
  return { colgroups, thead: grouped ? el('thead', {}, top, second) : el('thead', {}, top) }
}

export function dataTable<R>(spec: TableSpec<R>, captionId: string): HTMLTableElement {
  const { colgroups, thead } = head(spec)
  const body = el('tbody')
  for (const row of spec.rows) {
    const tr = el('tr', { 'data-key': spec.rowKey(row) }, el('th', { scope: 'row' }, spec.rowHead(row)))
    for (const c of spec.columns) tr.append(el('td', { 'data-field': c.field, class: `num ${c.tone ?? ''}`.trim() }, c.cell(row)))
    if (spec.action) tr.append(el('td', { class: 'action' }, spec.action.cell(row)))
    body.append(tr)
  }
  // The caption names the table for screen readers; sighted readers see the same words above the
  // scrolling box (tableBlock), where a phone cannot scroll them out of view.
  return el('table', {}, el('caption', { id: captionId, class: 'sr-only' }, spec.caption), ...colgroups, thead, body)
}

/**
 * The table in a box that scrolls sideways on a narrow screen (the page itself never does),
 * focusable so a keyboard can scroll it, named by the caption; its title and a CSV button above.
 */
export function tableBlock<R>(spec: TableSpec<R>, id: string, csv: { label: string; describe: string; onClick(): void }): HTMLElement {
  const captionId = `${id}-caption`
  const button = el('button', { type: 'button', class: 'csv', 'aria-label': csv.describe, 'data-csv': id }, csv.label)
  button.addEventListener('click', csv.onClick)
  const wrap = el('div', { class: 'table-wrap', role: 'region', 'aria-labelledby': captionId, tabindex: 0 }, dataTable(spec, captionId))
  const title = el('p', { class: 'table-title', 'aria-hidden': 'true' }, spec.caption)
  return el('div', { class: 'table-block', id }, el('div', { class: 'table-tools' }, title, button), wrap)
}
