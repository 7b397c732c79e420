import t, { type Test } from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KeyRing } from '../../src/auth/keys'
import { loadConfig } from '../../src/config'
import { buildApp } from '../../src/http/app'
import { dashboardRoutes, NOT_BUILT } from '../../src/http/routes/dashboard'
import { harness } from '../support/harness'

// Plain JS (it runs before any TypeScript is compiled): typed here by hand.
const { buildDashboard, fingerprint } = require('../../scripts/build-dashboard.js') as {
  buildDashboard(outDir: string): Promise<unknown>
  fingerprint(bytes: Buffer): string
}

/** An app serving only the dashboard, from `dir`. */
async function dashboardApp(t: Test, dir: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'dashboard-data-'))
  const app = await buildApp({
    config: loadConfig({ LEDGER_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }),
    keys: new KeyRing([]),
    routes: [dashboardRoutes({ dir })],
    logger: false,
    readiness: async () => ({ ready: true, checks: {} }),
  })
  t.teardown(async () => {
    await app.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  return app
}

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'dashboard-build-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('the page and its assets: public, typed, pinned by content hash, revalidated with ETags', async (t) => {
  const dir = tempDir(t)
  await buildDashboard(dir)
  const app = await dashboardApp(t, dir)
  const jsHash = fingerprint(readFileSync(join(dir, 'app.js')))
  const cssHash = fingerprint(readFileSync(join(dir, 'styles.css')))

  const page = await app.inject({ method: 'GET', url: '/' })
  t.equal(page.statusCode, 200, 'no key needed for the page itself')
  t.equal(page.headers['content-type'], 'text/html; charset=utf-8')
  t.equal(page.headers['cache-control'], 'no-cache', 'the page is revalidated on every visit')
  t.match(page.headers['content-security-policy'], /script-src 'self'/, "helmet's CSP covers the page")
  t.match(page.body, `src="/dashboard/app.js?v=${jsHash}"`, 'the page names the script by its content hash')
  t.match(page.body, `href="/dashboard/styles.css?v=${cssHash}"`)
  t.notMatch(page.body, /https?:\/\//, 'nothing is loaded from another origin')
  t.notMatch(page.body, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script (the CSP would block it)')

  const js = await app.inject({ method: 'GET', url: `/dashboard/app.js?v=${jsHash}` })
  t.equal(js.statusCode, 200)
  t.equal(js.headers['content-type'], 'text/javascript; charset=utf-8')
  t.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable', 'asked by its hash: kept for good')
  t.equal(js.headers.etag, `"${jsHash}"`)
  t.equal(js.body, readFileSync(join(dir, 'app.js'), 'utf8'))

  const css = await app.inject({ method: 'GET', url: `/dashboard/styles.css?v=${cssHash}` })
  t.equal(css.headers['content-type'], 'text/css; charset=utf-8')
  t.equal(css.headers['cache-control'], 'public, max-age=31536000, immutable')

  const unpinned = await app.inject({ method: 'GET', url: '/dashboard/app.js' })
  t.equal(unpinned.headers['cache-control'], 'no-cache', 'asked without its hash: revalidated')
  const stale = await app.inject({ method: 'GET', url: '/dashboard/app.js?v=0123456789abcdef' })
  t.equal(stale.headers['cache-control'], 'no-cache', 'asked by an old hash: revalidated, never pinned to the new content')

  const again = await app.inject({ method: 'GET', url: '/', headers: { 'if-none-match': page.headers.etag as string } })
  t.equal(again.statusCode, 304, 'an unchanged page answers 304')
  t.equal(again.body, '')
})

t.test('before the bundle is built: a clear 503, then the files as soon as they exist', async (t) => {
  const dir = tempDir(t)
  const app = await dashboardApp(t, dir)
  for (const url of ['/', '/dashboard/app.js', '/dashboard/styles.css']) {
    const res = await app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 503, url)
    t.equal(res.headers['content-type'], 'text/plain; charset=utf-8')
    t.equal(res.headers['cache-control'], 'no-store')
    t.equal(res.body, NOT_BUILT)
  }
  await buildDashboard(dir)
  const page = await app.inject({ method: 'GET', url: '/' })
  t.equal(page.statusCode, 200, 'no restart needed after building')
  t.match(page.body, /<html lang="en">/)
})

t.test('the service registers the dashboard beside the API', async (t) => {
  const h = await harness(t)
  for (const url of ['/', '/dashboard/app.js', '/dashboard/styles.css']) {
    t.ok(h.app.hasRoute({ method: 'GET', url }), `GET ${url}`)
  }
})
