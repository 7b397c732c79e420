/**
 * The dashboard's entry point: asks once for a key (kept for this tab), loads every figure at
 * the chosen point in time, draws it, and redraws on a change of group or language.
 */
import * as api from './api'
import { ApiError, type Figures, type GroupBy, type When } from './api'
import { byId, el } from './dom'
import { openExplanation, setUpExplanationDialog } from './explain'
import { capital, currentLang, day, dimension, int, moment, setLang, t, tParts, translateStatic, type Lang } from './i18n'
import { renderBreakdown, renderCohorts, renderFunnel, renderProgress, type Actions, type Loaded } from './sections'

let loaded: Loaded | null = null
let loads = 0
// Messages are kept as functions so a language switch can say them again in the new language.
let statusMessage: (() => string) | null = null
let alertMessage: (() => string) | null = null

const main = (): HTMLElement => byId('main')

function say(message: (() => string) | null): void {
  statusMessage = message
  byId('status').textContent = message?.() ?? ''
}

function shout(message: (() => string) | null): void {
  alertMessage = message
  byId('error').textContent = message?.() ?? ''
}

function showLogin(message: (() => string) | null): void {
  loads++
  loaded = null
  byId('login').hidden = false
  byId('dashboard').hidden = true
  byId('sign-out').hidden = true
  main().dataset.state = 'signed-out'
  say(null)
  shout(message)
  const input = byId<HTMLInputElement>('key')
  input.value = ''
  input.focus()
}

function refused(): void {
  api.forgetKey()
  showLogin(() => t('badKey'))
}

function fail(error: unknown): void {
  if (error instanceof ApiError && error.status === 401) return refused()
  main().dataset.state = 'error'
  say(null)
  if (!(error instanceof ApiError)) return shout(() => t('failed', { status: '?', message: String(error) }))
  const { status, message } = error
  shout(status === 0 ? () => t('network') : status === 403 ? () => t('forbidden') : status === 429 ? () => t('rateLimited') : () => t('failed', { status, message }))
}

function readWhen(): When {
  const asOf = byId<HTMLInputElement>('as-of').value
  const knownAt = byId<HTMLInputElement>('known-at').value
  // datetime-local has no zone: the reader means their own clock, which Date applies.
  return { asOf: asOf === '' ? undefined : asOf, knownAt: knownAt === '' ? undefined : new Date(knownAt).toISOString() }
}

const actions: Actions = {
  csv(figures: Figures<unknown>, groupBy: GroupBy) {
    api.downloadCsv(figures.definition, groupBy, figures.asOf, figures.knownAt).then((file) => say(() => t('csvSaved', { file })), fail)
  },
  explain(groupBy: GroupBy, key: string, figures: Figures<unknown>) {
    void openExplanation(groupBy, key, figures.asOf, figures.knownAt, refused)
  },
}

function render(): void {
  if (loaded === null) return
  const { programme, employment } = loaded
  byId('basis').textContent = t('basis', { asOf: day(programme.asOf), knownAt: moment(programme.knownAt), position: int(programme.position) })
  byId('definitions').replaceChildren(...tParts('definitions', {
    insertion: el('code', { 'data-field': 'definition-insertion' }, programme.definition),
    employment: el('code', { 'data-field': 'definition-employment' }, employment.definition),
  }))
  renderProgress(loaded)
  renderFunnel(loaded, actions)
  renderBreakdown(loaded, actions)
  renderCohorts(loaded, actions)
}

async function load(): Promise<void> {
  const mine = ++loads
  const when = readWhen()
  const groupBy = byId<HTMLSelectElement>('group-by').value as GroupBy
  main().dataset.state = 'loading'
  // Busy on the figures only: the status line (outside them) must still say "loading".
  byId('dashboard').setAttribute('aria-busy', 'true')
  shout(null)
  say(() => t('loading'))
  try {
    // The first answer fixes today and now for the rest, so every figure on the page (and
    // every CSV and explanation taken from it) reads the very same point in time.
    const programme = await api.insertion('programme', when)
    const at: When = { asOf: programme.asOf, knownAt: programme.knownAt }
    const [progress, programmeEmployment, insertion, employment, cohorts] = await Promise.all([
      api.progress(), api.employment('programme', at), api.insertion(groupBy, at), api.employment(groupBy, at), api.insertion('cohort', at),
    ])
    if (mine !== loads) return
    loaded = { when, groupBy, progress, programme, programmeEmployment, insertion, employment, cohorts }
    render()
    Object.assign(main().dataset, { asOf: programme.asOf, knownAt: programme.knownAt, groupBy, state: 'ready' })
    say(() => t('loaded', { asOf: day(programme.asOf), knownAt: moment(programme.knownAt) }))
  } catch (error) {
    if (mine === loads) fail(error)
  } finally {
    if (mine === loads) byId('dashboard').removeAttribute('aria-busy')
  }
}

function showDashboard(): void {
  byId('login').hidden = true
  byId('dashboard').hidden = false
  byId('sign-out').hidden = false
  shout(null)
  byId('dashboard-start').focus()
  void load()
}

function switchLanguage(lang: Lang): void {
  setLang(lang)
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-lang]')) button.setAttribute('aria-pressed', String(button.dataset.lang === lang))
  translateStatic()
  for (const option of byId<HTMLSelectElement>('group-by').options) option.textContent = capital(dimension(option.value as GroupBy))
  render()
  say(statusMessage)
  shout(alertMessage)
}

function start(): void {
  switchLanguage(currentLang())
  setUpExplanationDialog()
  for (const button of document.querySelectorAll<HTMLButtonElement>('[data-lang]')) {
    button.addEventListener('click', () => switchLanguage(button.dataset.lang === 'fr' ? 'fr' : 'en'))
  }
  byId('login-form').addEventListener('submit', (event) => {
    event.preventDefault()
    const key = byId<HTMLInputElement>('key').value.trim()
    if (key === '') return shout(() => t('emptyKey'))
    api.saveKey(key)
    showDashboard()
  })
  byId('sign-out').addEventListener('click', () => {
    api.forgetKey()
    showLogin(null)
  })
  byId('when-form').addEventListener('submit', (event) => {
    event.preventDefault()
    void load()
  })
  byId('back-to-now').addEventListener('click', () => {
    byId<HTMLInputElement>('as-of').value = ''
    byId<HTMLInputElement>('known-at').value = ''
    void load()
  })
  byId('group-by').addEventListener('change', () => void load())
  if (api.savedKey() === null) showLogin(null)
  else showDashboard()
}

start()
