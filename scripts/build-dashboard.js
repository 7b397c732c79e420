#!/usr/bin/env node
/**
 * Bundles the dashboard (dashboard/src/main.ts with chart.js) into dist/dashboard/app.js and
 * copies index.html and styles.css beside it; nothing is fetched at run time. index.html asks
 * for the assets with ?v=<content hash>, so the server may let browsers keep them for good and
 * a new build is still seen at once (src/http/routes/dashboard.ts).
 *
 * Usage: node scripts/build-dashboard.js [outDir]   (default dist/dashboard)
 */
'use strict'
const { createHash } = require('node:crypto')
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs')
const { join, resolve } = require('node:path')
const esbuild = require('esbuild')

const ROOT = resolve(__dirname, '..')
const SOURCE = join(ROOT, 'dashboard')

/** The same fingerprint the server computes for its ETag and ?v= check. */
const fingerprint = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 16)

function pin(html, asset, bytes) {
  const plain = `"/dashboard/${asset}"`
  if (!html.includes(plain)) throw new Error(`dashboard/index.html does not load ${plain}`)
  return html.replace(plain, `"/dashboard/${asset}?v=${fingerprint(bytes)}"`)
}

async function buildDashboard(outDir = join(ROOT, 'dist', 'dashboard')) {
  const result = await esbuild.build({
    entryPoints: [join(SOURCE, 'src', 'main.ts')],
    tsconfig: join(SOURCE, 'tsconfig.json'),
    bundle: true,
    minify: true,
    target: 'es2020',
    format: 'iife',
    platform: 'browser',
    legalComments: 'eof',
    write: false,
    outfile: join(outDir, 'app.js'),
    logLevel: 'silent',
  })
  const app = result.outputFiles[0].contents
  const css = readFileSync(join(SOURCE, 'styles.css'))
  let html = readFileSync(join(SOURCE, 'index.html'), 'utf8')
  html = pin(pin(html, 'app.js', app), 'styles.css', css)
  mkdirSync(outDir, { recursive: true })
  // index.html last: a page served mid-build never names an asset that is not there yet.
  writeFileSync(join(outDir, 'app.js'), app)
  writeFileSync(join(outDir, 'styles.css'), css)
  writeFileSync(join(outDir, 'index.html'), html)
  return { outDir, bytes: app.length }
}

module.exports = { buildDashboard, fingerprint }

if (require.main === module) {
  buildDashboard(process.argv[2] ? resolve(process.argv[2]) : undefined).then(
    ({ outDir, bytes }) => console.log(`dashboard: ${outDir} (app.js ${Math.round(bytes / 1024)} KiB)`),
    (error) => {
      console.error(`dashboard build failed: ${error.message}`)
      process.exit(1)
    },
  )
}
