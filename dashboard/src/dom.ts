/** Small DOM helpers: elements are built with textContent, never innerHTML, so no figure or key can inject markup. */

type Child = Node | string | null | undefined | false

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue
    node.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child)
  return node
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id)
  if (node === null) throw new Error(`the page has no #${id}`)
  return node as T
}

/** Text for sighted readers plus a fuller version for screen readers (e.g. a dash that means "not measurable"). */
export function withSpoken(shown: string, spoken: string): HTMLSpanElement {
  return el('span', {}, el('span', { 'aria-hidden': 'true' }, shown), el('span', { class: 'sr-only' }, spoken))
}
