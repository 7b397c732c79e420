/**
 * The auditor's view of a figure: the learners behind a group's insertion figures and the
 * eventIds that put each one there, in a modal dialog. A key that may not see learners (viewer,
 * operator) is told so politely; the figures themselves stay on the page.
 */
import { ApiError, explain, type Explanation, type GroupBy } from './api'
import { byId, el } from './dom'
import { day, groupName, int, moment, t, type MessageKey } from './i18n'

let opener: HTMLElement | null = null
let asked = 0

function list(titleKey: MessageKey, rows: Explanation['population'], second: 'completedOn' | 'placementId'): HTMLElement {
  const title = t(titleKey, { count: int(rows.length) })
  if (rows.length === 0) return el('section', {}, el('h3', {}, title), el('p', {}, t('none')))
  const body = el('tbody')
  for (const row of rows) {
    const ids = el('ul', { class: 'ids' }, ...row.eventIds.map((id) => el('li', {}, el('code', {}, id))))
    const other = second === 'completedOn' ? (row.completedOn === undefined ? '' : day(row.completedOn)) : row.placementId ?? ''
    body.append(el('tr', { 'data-key': row.learnerId }, el('th', { scope: 'row' }, row.learnerId), el('td', {}, other), el('td', {}, ids)))
  }
  const head = el('tr', {}, el('th', { scope: 'col' }, t('learner')), el('th', { scope: 'col' }, t(second === 'completedOn' ? 'completedOn' : 'placement')), el('th', { scope: 'col' }, t('eventIds')))
  return el('section', {}, el('h3', {}, title),
    el('div', { class: 'table-wrap' }, el('table', { class: 'explain-table' }, el('caption', { class: 'sr-only' }, title), el('thead', {}, head), body)))
}

function show(...children: Array<Node | string>): void {
  byId('explain-body').replaceChildren(...children)
}

/** Opens the dialog for one group's figures at the point the table shows (its asOf and knownAt). */
export async function openExplanation(groupBy: GroupBy, key: string, asOf: string, knownAt: string, onUnauthorized: () => void): Promise<void> {
  const dialog = byId<HTMLDialogElement>('explain-dialog')
  opener = document.activeElement instanceof HTMLElement ? document.activeElement : null
  const mine = ++asked
  byId('explain-title').textContent = t('explainTitle', { group: groupName(groupBy, key) })
  byId('explain-point').textContent = t('explainPoint', { asOf: day(asOf), knownAt: moment(knownAt) })
  show(el('p', { class: 'status' }, t('explainLoading')))
  dialog.dataset.state = 'loading'
  if (!dialog.open) dialog.showModal()
  try {
    const answer = await explain(groupBy, key, asOf, knownAt)
    if (mine !== asked) return
    show(list('explainPopulation', answer.population, 'completedOn'), list('explainPlaced', answer.placed, 'placementId'),
      list('explainNotMeasurable', answer.notMeasurable, 'completedOn'))
    dialog.dataset.state = 'ready'
  } catch (error) {
    if (mine !== asked) return
    if (error instanceof ApiError && error.status === 401) {
      dialog.close()
      onUnauthorized()
      return
    }
    const message = error instanceof ApiError && error.status === 403 ? t('explainForbidden')
      : error instanceof ApiError && error.status === 404 ? t('explainMissing')
        : t('failed', { status: error instanceof ApiError ? error.status : '?', message: error instanceof Error ? error.message : String(error) })
    show(el('p', { class: 'notice', role: 'note' }, message))
    dialog.dataset.state = error instanceof ApiError ? `refused-${error.status}` : 'failed'
  }
}

export function setUpExplanationDialog(): void {
  const dialog = byId<HTMLDialogElement>('explain-dialog')
  byId('explain-close').addEventListener('click', () => dialog.close())
  // A click on the backdrop closes it too (the dialog has no padding: its content fills an inner box).
  dialog.addEventListener('click', (event) => { if (event.target === dialog) dialog.close() })
  dialog.addEventListener('close', () => {
    asked++
    opener?.focus()
    opener = null
  })
}
