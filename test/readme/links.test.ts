/**
 * The README and docs/ stand on their own: every relative link names a file of the repository
 * and, with `#anchor`, a heading of it (GitHub's anchors); nothing points outside the repository.
 */
import t from 'tap'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const ROOT = join(__dirname, '..', '..')
const PAGES = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)]

/** GitHub's anchor of a heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
const anchorOf = (heading: string) =>
  heading.trim().toLowerCase().replace(/[`*]/g, '').replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')

/** The page's text without fenced blocks, where a `[x](y)` is code, not a link. */
const prose = (markdown: string) => markdown.replace(/^\s*```[^\n]*\n[\s\S]*?^\s*```\s*$/gm, '')

function anchors(file: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  for (const match of prose(readFileSync(file, 'utf8')).matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const base = anchorOf(match[1])
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

for (const page of PAGES) {
  t.test(`${page}: every link resolves inside the repository`, async (t) => {
    const text = prose(readFileSync(join(ROOT, page), 'utf8'))
    const broken: string[] = []
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target)) continue
      const [path, anchor] = target.split('#')
      const file = path === '' ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), path)
      if (relative(ROOT, file).startsWith('..')) broken.push(`${target}: outside the repository`)
      else if (!existsSync(file)) broken.push(`${target}: no such file`)
      else if (anchor !== undefined && file.endsWith('.md') && !anchors(file).has(anchor)) broken.push(`${target}: no such heading`)
    }
    t.same(broken, [], 'no broken link')
    t.notMatch(text, /\.\.\/shared\//, 'no path of the build machine')
  })
}
