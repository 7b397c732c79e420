/**
 * The dashboard in a real browser (Debian's chromium, driven by playwright-core) against the
 * real app on an ephemeral port, with a simulated programme written in two sittings so both
 * time axes have something to show. Every figure read off the page is compared with the API's
 * answer to the same query. Screenshots land in test/artifacts/.
 */
import t, { type Test } from 'tap'
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { planProgramme, runSimulation } from '../../src/tools/simulate'
import type { Page } from 'playwright-core'
import { fixedClock, harness, KEYS } from '../support/harness'
import { expectRows, FORMAT, programmeOf, readRows, readText, type Answer } from './page'

const CHROMIUM = '/usr/bin/chromium'
const ARTIFACTS = join(__dirname, '..', 'artifacts')
// The machine has no network: these flags keep chromium from trying to reach one.
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync']

const FIRST_SITTING = '2026-02-01T08:00:00.000Z'
const SECOND_SITTING = '2026-07-01T08:00:00.000Z'

const { buildDashboard } = require('../../scripts/build-dashboard.js') as { buildDashboard(): Promise<unknown> }

if (!existsSync(CHROMIUM)) {
  const reason = `browser test skipped: ${CHROMIUM} is not installed (apt-get install chromium; .ci/run does it)`
  console.log(`# ${reason}`)
  t.plan(0, reason)
} else {
  // A browser and a 200-learner programme take about a minute on a busy two-core machine,
  // where the suite's 120 s per file would be tight.
  t.setTimeout(300_000)
  t.test('the dashboard in chromium shows the API\'s figures', async (t) => {
    const { chromium } = await import('playwright-core')
    // Always the current sources: the test must never pass against an old bundle.
    await buildDashboard()
    mkdirSync(ARTIFACTS, { recursive: true })

    let now = new Date(FIRST_SITTING)
    const h = await harness(t, { storeNow: () => now, clock: fixedClock('2026-11-30T12:00:00.000Z') })
    const plan = planProgramme({ learners: 200, seed: 7 })
    await runSimulation(h.ledger.commands, { ...plan, learnerPlans: plan.learnerPlans.slice(0, 120) })
    now = new Date(SECOND_SITTING)
    await runSimulation(h.ledger.commands, { ...plan, setup: [], learnerPlans: plan.learnerPlans.slice(120) })
    await h.app.listen({ port: 0, host: '127.0.0.1' })
    const base = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
    t.teardown(() => browser.close())
    const api = async (query: string, as: 'viewer' | 'auditor' = 'viewer'): Promise<Answer> => {
      const res = await h.call(as, { method: 'GET', url: query })
      if (res.statusCode !== 200) throw new Error(`${query}: ${res.statusCode} ${res.body}`)
      return res.json()
    }
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'Africa/Casablanca' })
    const page = await context.newPage()
    page.setDefaultTimeout(20_000)
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
    // The browser logs every refused request (401, 403) as an error: those are expected here.
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 40[13]/.test(message.text())) problems.push(`console: ${message.text()}`)
    })

    // The steps share one page: once one fails, the next would only time out, so they skip.
    const step = (name: string, fn: (t: Test) => Promise<void>) =>
      t.test(name, { skip: t.passing() ? false : 'an earlier step failed' }, fn)

    await step('asks for a key, and refuses a bad one with a clear message', async (t) => {
      await page.goto(`${base}/`)
      await page.waitForSelector('main[data-state="signed-out"] #login:not([hidden])')
      t.equal(await page.getByLabel('API key', { exact: true }).count(), 1, 'the key input has a label')
      t.equal(await page.locator('#dashboard').isHidden(), true, 'no figures before a key')
      await page.getByLabel('API key', { exact: true }).fill('not-a-key')
      await page.getByRole('button', { name: 'Show the figures' }).click()
      await page.waitForSelector('#error:text("refused")')
      t.match(await readText(page, '#error'), /This API key was refused \(401 unauthorized\)\. Check it and enter it again\./)
      t.equal(await page.getAttribute('#error', 'role'), 'alert', 'announced to screen readers')
      t.equal(await page.locator('#login').isVisible(), true, 'asked again')
      t.equal(await page.evaluate('sessionStorage.length'), 1, 'only the language is kept: the refused key is forgotten')
    })

    let today: Answer
    await step('with a viewer key, the figures shown are the API\'s', async (t) => {
      await page.getByLabel('API key', { exact: true }).fill(KEYS.viewer)
      await page.getByRole('button', { name: 'Show the figures' }).click()
      await page.waitForSelector('main[data-state="ready"]')
      t.equal(await readText(page, '#error'), '', 'the error is gone')
      today = await compareAll(t, page, api, 'region', false)
      t.equal(today.asOf, '2026-11-30', 'empty asOf: today, by the server\'s clock')
      t.equal(await readText(page, '[data-field="definition-insertion"]'), 'insertion-180d-v1', 'the definition is named')
      t.equal(await readText(page, '[data-field="definition-employment"]'), 'employment-at-6m-v1')
      t.match(await readText(page, '#insertion-data tr[data-key="MA-04"] th'), 'Rabat-Salé-Kénitra (MA-04)', 'regions by name')
      t.same(await page.evaluate(`[...document.querySelectorAll('table')].map((table) => ({
        caption: (table.querySelector('caption')?.textContent ?? '') !== '',
        headsScoped: [...table.querySelectorAll('thead th')].every((th) => ['col', 'colgroup'].includes(th.getAttribute('scope'))),
        rowsHeaded: [...table.querySelectorAll('tbody tr')].every((tr) => tr.querySelector('th[scope="row"]') !== null),
      }))`), Array(4).fill({ caption: true, headsScoped: true, rowsHeaded: true }), 'four tables, each with a caption and scoped headers')
      t.same(await page.evaluate(`[...document.querySelectorAll('canvas')].map((c) => c.getAttribute('role') === 'img' && c.getAttribute('aria-label').length > 0)`),
        [true, true, true], 'each chart is an image with a name; its table carries the figures')
      t.equal(await page.getAttribute('#status', 'aria-live'), 'polite', 'loading and results are announced')
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true })
    })

    await step('an earlier asOf changes the figures, to the API\'s at that date', async (t) => {
      await page.getByLabel('Business date (asOf)').fill('2025-12-31')
      await page.getByRole('button', { name: 'Show', exact: true }).click()
      await page.waitForSelector('main[data-state="ready"][data-as-of="2025-12-31"]')
      const then = await compareAll(t, page, api, 'region', true)
      t.ok(programmeOf(then).applicants < programmeOf(today).applicants, 'fewer applicants by then')
      t.not(await readText(page, '#progress-body [data-field="enrolled"]'), FORMAT.int(programmeOf(today).enrolled), 'progress travels too')
    })

    await step('an earlier knownAt shows only what was recorded by then', async (t) => {
      await page.getByRole('button', { name: 'Today, as known now' }).click()
      await page.waitForSelector('main[data-state="ready"][data-as-of="2026-11-30"]')
      await page.getByLabel('Known at (knownAt)').fill('2026-03-01T12:00:00')
      await page.getByRole('button', { name: 'Show', exact: true }).click()
      await page.waitForSelector(`main[data-state="ready"]:not([data-known-at="${today.knownAt}"])`)
      const knownAt = await page.getAttribute('main', 'data-known-at') ?? ''
      t.ok(knownAt > FIRST_SITTING && knownAt < SECOND_SITTING, `knownAt ${knownAt} falls between the two sittings`)
      const then = await compareAll(t, page, api, 'region', true)
      t.equal(programmeOf(then).applicants, 120, 'the second sitting\'s 80 applications were not known yet')
    })

    await step('another grouping, a CSV download, an explanation refused to a viewer', async (t) => {
      await page.getByRole('button', { name: 'Today, as known now' }).click()
      await page.waitForSelector('main[data-state="ready"][data-as-of="2026-11-30"]')
      await page.getByLabel('Group by').selectOption('gender')
      await page.waitForSelector('main[data-state="ready"][data-group-by="gender"]')
      const figures = await compareAll(t, page, api, 'gender', false)
      t.match(await readText(page, '#insertion-data tr[data-key="female"] th'), 'Women')

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-csv="insertion-data"]')])
      const csv = await h.call('viewer', { method: 'GET', url: `/v1/indicators/insertion?groupBy=gender&definition=insertion-180d-v1&asOf=${figures.asOf}&knownAt=${encodeURIComponent(figures.knownAt)}&format=csv` })
      t.equal(readFileSync(await download.path(), 'utf8'), csv.body, 'the saved file is the API\'s CSV of the table')
      t.match(download.suggestedFilename(), /^insertion-180d-v1_gender_asof-2026-11-30_/)

      await page.click('#insertion-data tr[data-key="female"] button.explain')
      await page.waitForSelector('dialog[open][data-state="refused-403"]')
      t.match(await readText(page, '#explain-body'), /for auditor and admin keys/, 'a viewer is told politely')
      await page.getByRole('button', { name: 'Close' }).click()
      t.equal(await page.locator('dialog[open]').count(), 0)
    })

    await step('with an auditor key, the explanation lists the learners and eventIds', async (t) => {
      await page.getByRole('button', { name: 'Change key' }).click()
      await page.getByLabel('API key', { exact: true }).fill(KEYS.auditor)
      await page.getByRole('button', { name: 'Show the figures' }).click()
      await page.waitForSelector('main[data-state="ready"][data-group-by="gender"]')
      const asOf = await page.getAttribute('main', 'data-as-of') ?? ''
      const knownAt = await page.getAttribute('main', 'data-known-at') ?? ''
      await page.click('#insertion-data tr[data-key="female"] button.explain')
      await page.waitForSelector('dialog[open][data-state="ready"]')
      const explained = await api(`/v1/audit/explain/insertion?groupBy=gender&key=female&asOf=${asOf}&knownAt=${encodeURIComponent(knownAt)}`, 'auditor')
      const shown = await page.$$eval('#explain-body tbody tr', (rows: any[]) => rows.map((r) => [r.dataset.key, [...r.querySelectorAll('code')].map((c: any) => c.textContent)]))
      const expected = (['population', 'placed', 'notMeasurable'] as const).flatMap((list) =>
        (explained[list] as Array<{ learnerId: string; eventIds: string[] }>).map((row) => [row.learnerId, row.eventIds]))
      t.same(shown, expected, 'every learner of the three lists, with its eventIds, in the API\'s order')
      t.ok(expected.length > 0)
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-explain.png') })
      await page.keyboard.press('Escape')
      t.equal(await page.locator('dialog[open]').count(), 0, 'Escape closes the dialog')
    })

    await step('in French: labels, number formats and the lang attribute change', async (t) => {
      await page.getByRole('button', { name: 'Français' }).click()
      t.equal(await page.getAttribute('html', 'lang'), 'fr')
      t.equal(await readText(page, '#funnel-title'), 'Parcours des apprenants')
      t.equal(await readText(page, 'label[for="group-by"]'), 'Regrouper par')
      t.match(await readText(page, '#insertion-data caption'), /^Taux d’insertion par genre \(insertion-180d-v1\), au 30 nov\. 2026$/)
      t.equal(await page.getAttribute('[data-lang="fr"]', 'aria-pressed'), 'true')
      const fr = new Intl.NumberFormat('fr-MA', { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 })
      const rows = await readRows(page, 'insertion-data')
      const female = (await api(`/v1/indicators/insertion?groupBy=gender&asOf=2026-11-30&knownAt=${encodeURIComponent(await page.getAttribute('main', 'data-known-at') ?? '')}`)).groups
        .find((g: { key: string }) => g.key === 'female')
      t.equal(rows.female.insertionRate.replace(/\s/g, ' '), fr.format(female.insertionRate).replace(/\s/g, ' '), 'percentages in the French way')
      await page.getByRole('button', { name: 'English' }).click()
      t.equal(await page.getAttribute('html', 'lang'), 'en')
    })

    await step('on a phone: nothing overflows the page sideways', async (t) => {
      const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'fr-FR', timezoneId: 'Africa/Casablanca' })
      t.teardown(() => phone.close())
      const small = await phone.newPage()
      small.setDefaultTimeout(20_000)
      small.on('pageerror', (error) => problems.push(`phone page error: ${error.message}`))
      await small.goto(`${base}/`)
      t.equal(await small.getAttribute('html', 'lang'), 'fr', 'a French browser gets French first')
      await small.getByLabel('Clé d’API', { exact: true }).fill(KEYS.viewer)
      await small.getByRole('button', { name: 'Afficher les chiffres' }).click()
      await small.waitForSelector('main[data-state="ready"]')
      const overflow = await small.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')
      t.equal(overflow, 0, 'the page is no wider than the screen')
      const bodyOverflow = await small.evaluate('document.body.scrollWidth - document.body.clientWidth')
      t.equal(bodyOverflow, 0, 'nor is the body')
      t.ok(await small.evaluate('[...document.querySelectorAll(".table-wrap")].some((w) => w.scrollWidth > w.clientWidth)'), 'wide tables scroll inside their own box')
      await small.screenshot({ path: join(ARTIFACTS, 'dashboard-phone.png'), fullPage: true })
    })

    t.same(problems, [], 'no script error, no CSP violation, no failed asset')
  })
}

/** Reads every section and compares it with the API at the point the page says it shows. */
async function compareAll(t: Test, page: Page, api: (q: string) => Promise<Answer>, groupBy: string, travelling: boolean): Promise<Answer> {
  const asOf = await page.getAttribute('main', 'data-as-of') ?? ''
  const knownAt = await page.getAttribute('main', 'data-known-at') ?? ''
  const at = `asOf=${asOf}&knownAt=${encodeURIComponent(knownAt)}`
  const programme = await api(`/v1/indicators/insertion?groupBy=programme&${at}`)
  t.equal(programme.knownAt, knownAt)
  await expectRows(t, page, { progress: await api('/v1/indicators/progress'), programme, travelling,
    programmeEmployment: await api(`/v1/indicators/insertion?groupBy=programme&definition=employment-at-6m-v1&${at}`),
    insertion: await api(`/v1/indicators/insertion?groupBy=${groupBy}&${at}`),
    employment: await api(`/v1/indicators/insertion?groupBy=${groupBy}&definition=employment-at-6m-v1&${at}`),
    cohorts: await api(`/v1/indicators/insertion?groupBy=cohort&${at}`) })
  return programme
}
