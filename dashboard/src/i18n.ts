/** The page's language: labels, number and date formats (Intl, fr-MA or en-GB), group names. */
import type { GroupBy } from './api'
import { en, fr, type MessageKey } from './messages'

export type Lang = 'en' | 'fr'
export type { MessageKey }

const LOCALE: Record<Lang, string> = { en: 'en-GB', fr: 'fr-MA' }
const LANG_ITEM = 'placement-ledger.lang'

let lang: Lang = initialLang()
let formats = makeFormats(LOCALE[lang])

function initialLang(): Lang {
  const saved = sessionStorage.getItem(LANG_ITEM)
  if (saved === 'en' || saved === 'fr') return saved
  return navigator.language.toLowerCase().startsWith('fr') ? 'fr' : 'en'
}

function makeFormats(locale: string) {
  return {
    int: new Intl.NumberFormat(locale, { maximumFractionDigits: 0 }),
    pct: new Intl.NumberFormat(locale, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }),
    // Business dates are calendar days: formatted in UTC so no time zone can shift them.
    date: new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }),
    moment: new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'medium' }),
  }
}

export const currentLang = (): Lang => lang
export const locale = (): string => LOCALE[lang]

export function setLang(next: Lang): void {
  lang = next
  formats = makeFormats(LOCALE[next])
  sessionStorage.setItem(LANG_ITEM, next)
  document.documentElement.lang = next
}

/** The label for `key`, with `{name}` replaced by vars.name. */
export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  const text = (lang === 'fr' ? fr : en)[key]
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole))
}

export const int = (n: number): string => formats.int.format(n)
export const pct = (x: number): string => formats.pct.format(x)
export const day = (iso: string): string => formats.date.format(new Date(`${iso}T00:00:00Z`))
export const moment = (iso: string): string => formats.moment.format(new Date(iso))

/** Fills every element marked data-i18n (text) or data-i18n-label (aria-label) with its label. */
export function translateStatic(root: ParentNode = document): void {
  for (const node of root.querySelectorAll<HTMLElement>('[data-i18n]')) node.textContent = t(node.dataset.i18n as MessageKey)
  for (const node of root.querySelectorAll<HTMLElement>('[data-i18n-label]')) node.setAttribute('aria-label', t(node.dataset.i18nLabel as MessageKey))
  document.title = t('pageTitle')
}

const REGIONS: Record<string, string> = {
  'MA-01': 'Tanger-Tétouan-Al Hoceïma', 'MA-02': 'L’Oriental', 'MA-03': 'Fès-Meknès',
  'MA-04': 'Rabat-Salé-Kénitra', 'MA-05': 'Béni Mellal-Khénifra', 'MA-06': 'Casablanca-Settat',
  'MA-07': 'Marrakech-Safi', 'MA-08': 'Drâa-Tafilalet', 'MA-09': 'Souss-Massa',
  'MA-10': 'Guelmim-Oued Noun', 'MA-11': 'Laâyoune-Sakia El Hamra', 'MA-12': 'Dakhla-Oued Ed-Dahab',
}

export const dimension = (groupBy: GroupBy): string => t(`dim_${groupBy}`)
export const capital = (s: string): string => s.charAt(0).toLocaleUpperCase() + s.slice(1)

/** A group's key as a reader would name it; ids and codes (operators, cohorts, tracks, quarters) stay as they are. */
export function groupName(groupBy: GroupBy, key: string): string {
  switch (groupBy) {
    case 'programme': return t('programme')
    case 'region': return REGIONS[key] ? `${REGIONS[key]} (${key})` : key
    case 'gender': return key === 'female' || key === 'male' || key === 'undisclosed' ? t(`gender_${key}`) : key
    case 'ageBand': return key === 'under-18' ? t('age_under18') : t('age_years', { band: key })
    case 'operator':
    case 'cohort':
    case 'track':
    case 'completionQuarter':
      return key
    default: {
      const _: never = groupBy
      return _
    }
  }
}

/** Like t(), but the values may be nodes (e.g. a figure in its own element), returned as parts to append. */
export function tParts(key: MessageKey, vars: Record<string, Node | string>): Array<Node | string> {
  return t(key).split(/(\{\w+\})/).filter((part) => part !== '').map((part) => {
    const name = /^\{(\w+)\}$/.exec(part)?.[1]
    return name !== undefined && name in vars ? vars[name] : part
  })
}
