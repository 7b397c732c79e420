/**
 * Bar charts with chart.js, registered piece by piece so the bundle carries only bars. Each
 * chart sits beside a table with the same figures: the canvas is an image with a label, the
 * table is what a screen reader reads.
 */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js'

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip)
Chart.defaults.color = '#1f2937'
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif'
Chart.defaults.font.size = 13

export interface Series {
  label: string
  values: Array<number | null>
  color: string
}

export interface BarOptions {
  /** Rates from 0 to 1 (axis fixed to 100 %) rather than counts. */
  rate: boolean
  format(value: number): string
  locale: string
  /** The canvas's accessible name. */
  description: string
}

const charts = new Map<HTMLCanvasElement, Chart<'bar'>>()

/**
 * A label as lines of about `width` characters, broken at spaces and after hyphens, so a long
 * region name does not eat a phone's chart (chart.js draws an array label as several lines).
 */
export function wrapLabel(label: string, width: number): string[] {
  const pieces = label.split(' ').flatMap((word) => (word.length <= width ? [word] : word.split(/(?<=-)/)))
  const lines: string[] = []
  for (const piece of pieces) {
    const last = lines.length - 1
    const joiner = last >= 0 && lines[last].endsWith('-') ? '' : ' '
    if (last >= 0 && lines[last].length + joiner.length + piece.length <= width) lines[last] += joiner + piece
    else lines.push(piece)
  }
  return lines
}

/** Draws (or redraws) horizontal bars: long group names stay readable on a phone. */
export function barChart(canvas: HTMLCanvasElement, labels: string[], series: Series[], options: BarOptions): void {
  charts.get(canvas)?.destroy()
  canvas.setAttribute('role', 'img')
  canvas.setAttribute('aria-label', options.description)
  // The box grows with the bars and the lines of their labels; chart.js fills the box (maintainAspectRatio false).
  const box = canvas.parentElement
  const narrow = (box?.clientWidth ?? 800) < 560
  const wrapped = labels.map((label) => wrapLabel(label, narrow ? 16 : 32))
  const row = Math.max(...wrapped.map((lines) => lines.length * 16 + 10), series.length * 20 + 12)
  if (box !== null) box.style.height = `${Math.max(140, labels.length * row + 64)}px`
  const chart = new Chart(canvas, {
    type: 'bar',
    data: {
      labels: wrapped,
      datasets: series.map((s) => ({
        label: s.label, data: s.values, backgroundColor: s.color, borderColor: s.color, borderWidth: 1, maxBarThickness: 22,
      })),
    },
    options: {
      indexAxis: 'y',
      locale: options.locale,
      responsive: true,
      maintainAspectRatio: false,
      // No motion: figures appear at once, the same for everyone (prefers-reduced-motion included).
      animation: false,
      scales: {
        x: {
          beginAtZero: true,
          max: options.rate ? 1 : undefined,
          ticks: { callback: (value) => options.format(Number(value)), maxTicksLimit: narrow ? 3 : 6, maxRotation: 0 },
        },
        y: { ticks: { autoSkip: false } },
      },
      plugins: {
        legend: { display: series.length > 1, position: 'bottom' },
        tooltip: { callbacks: { label: (item) => `${item.dataset.label ?? ''}: ${options.format(item.parsed.x ?? 0)}` } },
      },
    },
  })
  charts.set(canvas, chart)
}
