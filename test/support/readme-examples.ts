/**
 * The README's shell examples as a test sees them: its fenced blocks, which of them run, the one
 * shell session that runs them, and the two commands that session finds first on its PATH
 * (`curl`, failing on any answer but 2xx; `npx placement-ledger`, run from the sources).
 *
 * The README's rules, which test/readme/examples.test.ts enforces:
 * - every ```sh block runs, in order, as one bash session (`set -euo pipefail`): variables set in
 *   one block are there in the next, as in a reader's terminal;
 * - a block that must not run is preceded by `<!-- not run: why -->` (the nearest line above its
 *   fence that is not blank);
 * - shell examples are `sh` blocks, never bash, shell, console...: a block the test would skip
 *   by its language is refused instead;
 * - `<the admin key printed above>` stands for the demo's admin key and `http://127.0.0.1:3000`
 *   for the demo's address: the test puts the real ones in their place.
 */
import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export interface FencedBlock {
  /** 1-based line of the opening fence. */
  line: number
  /** The info string: `sh`, `ts`, '' ... */
  lang: string
  /** The block's lines, indentation of the fence removed. */
  source: string
  /** The reason given by `<!-- not run: ... -->`, if any. */
  notRun?: string
}

const FENCE = /^(\s*)```(.*)$/
const NOT_RUN = /^\s*<!--\s*not run:\s*(.*?)\s*-->\s*$/
/** Info strings of shell examples that would escape the test: write them as `sh`. */
export const SHELL_LIKE = new Set(['bash', 'shell', 'console', 'zsh', 'shell-session', 'shellsession', 'terminal'])

/** Every fenced block of a markdown text, in order. Throws on a fence left open. */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const lines = markdown.split('\n')
  const blocks: FencedBlock[] = []
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i])
    if (!open) continue
    const indent = open[1].length
    const body: string[] = []
    let j = i + 1
    while (j < lines.length && !/^\s*```\s*$/.test(lines[j])) body.push(lines[j++].slice(indent))
    if (j >= lines.length) throw new Error(`README.md:${i + 1}: a fenced block is never closed`)
    let k = i - 1
    while (k >= 0 && lines[k].trim() === '') k--
    const marker = k >= 0 ? NOT_RUN.exec(lines[k]) : null
    blocks.push({ line: i + 1, lang: open[2].trim(), source: body.join('\n'), ...(marker ? { notRun: marker[1] } : {}) })
    i = j
  }
  return blocks
}

export const ADMIN_KEY_PLACEHOLDER = '<the admin key printed above>'
export const README_BASE_URL = 'http://127.0.0.1:3000'

/** A block's source with the demo's real admin key and address in place of the README's. */
export function substitute(source: string, adminKey: string, baseUrl: string): string {
  return source.split(ADMIN_KEY_PLACEHOLDER).join(adminKey).split(README_BASE_URL).join(baseUrl)
}

/** The line the session prints before block `index` (and `done` after the last). */
export const blockMarker = (index: number | 'done') => `::readme-block ${index}::`

/** One bash script running `blocks` in order, each announced by its marker on stdout. */
export function sessionScript(blocks: readonly string[]): string {
  const parts = ['set -euo pipefail']
  blocks.forEach((source, i) => parts.push(`printf '\\n%s\\n' '${blockMarker(i)}'`, source))
  parts.push(`printf '\\n%s\\n' '${blockMarker('done')}'`)
  return `${parts.join('\n')}\n`
}

export interface ShimOptions {
  /** The real curl and the tsx loader (a file: URL) the shims call. */
  realCurl: string
  tsxLoader: string
  /** The repository root: `npx placement-ledger` runs `src/main.ts` from it. */
  root: string
  /** The demo's address, to wait for a key just added. */
  baseUrl: string
  /** Each failed command appends one line here. */
  failures: string
}

/** A word for bash, quoted whatever it holds. */
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

const CURL = (o: ShimOptions) => `#!/usr/bin/env bash
# README test: the real curl, plus a check that every answer was 2xx (a 4xx or 5xx example is a
# broken example even when curl, without --fail, exits 0).
headers=$(mktemp)
${sq(o.realCurl)} -D "$headers" "$@"
status=$?
codes=$(grep -aoE '^HTTP/[0-9.]+ [0-9]{3}' "$headers" | awk '$2 !~ /^1/ { print $2 }' | tr '\\n' ' ')
rm -f "$headers"
if [ $status -eq 0 ] && [ -z "$codes" ]; then status=22; codes='no answer'; fi
for code in $codes; do case "$code" in 2??) ;; *) status=22 ;; esac; done
if [ $status -ne 0 ]; then
  printf 'block %s: curl %s: exit %s, HTTP %s\\n' "\${README_TEST_BLOCK-?}" "$*" "$status" "$codes" >> ${sq(o.failures)}
  exit $status
fi
`

const NPX = (o: ShimOptions) => `#!/usr/bin/env bash
# README test: \`npx placement-ledger ...\` runs the CLI from the sources (the built dist/ of
# \`npm run demo\` is not needed); any other npx is refused, so that the README names nothing
# the test does not know.
if [ "\${1-}" != placement-ledger ]; then
  printf 'block %s: npx %s: the README test runs only npx placement-ledger\\n' "\${README_TEST_BLOCK-?}" "$*" | tee -a ${sq(o.failures)} >&2
  exit 127
fi
shift
run() { node --import ${sq(o.tsxLoader)} ${sq(join(o.root, 'src', 'main.ts'))} "$@"; }
run "$@"
status=$?
[ $status -eq 0 ] || printf 'block %s: npx placement-ledger %s: exit %s\\n' "\${README_TEST_BLOCK-?}" "$*" "$status" >> ${sq(o.failures)}
exit $status
`

/** Writes `curl` and `npx` into `dir`, to be put first on the session's PATH. */
export function writeShims(dir: string, options: ShimOptions): void {
  for (const [name, text] of [['curl', CURL(options)], ['npx', NPX(options)]] as const) {
    const file = join(dir, name)
    writeFileSync(file, text)
    chmodSync(file, 0o755)
  }
}
