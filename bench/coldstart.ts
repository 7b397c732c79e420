/**
 * Cold start on the large ledger: `serve` spawned until /health/ready answers 200, first with no
 * snapshot (the runner folds the whole log), then again after that run's clean shutdown left a
 * snapshot. Peak RSS (VmHWM) of each, per 100,000 learners.
 */
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import type { BuiltLedger } from './ledger'
import { log, seconds, startService, writeKeysFile, type Figure } from './support'

export async function benchColdStart(ledger: BuiltLedger): Promise<Figure[]> {
  writeKeysFile(ledger.dataDir, 'OP-1')
  rmSync(join(ledger.dataDir, 'snapshots'), { recursive: true, force: true })
  const per100k = (bytes: number | undefined) => (bytes === undefined ? 0 : bytes / 2 ** 20 / (ledger.learners / 100_000))

  const rebuilding = await startService(ledger.dataDir)
  const rebuildRss = rebuilding.peakRss()
  const stopping = process.hrtime.bigint()
  const code = await rebuilding.stop()
  const stopSeconds = seconds(stopping)
  if (code !== 0) throw new Error(`coldstart: the service exited with ${code} on SIGTERM`)
  log(`coldstart: rebuild start ready in ${rebuilding.readySeconds.toFixed(1)} s; clean shutdown in ${stopSeconds.toFixed(1)} s`)

  const fromSnapshot = await startService(ledger.dataDir)
  const snapshotRss = fromSnapshot.peakRss()
  await fromSnapshot.stop()
  log(`coldstart: snapshot start ready in ${fromSnapshot.readySeconds.toFixed(1)} s`)

  const events = ledger.events.toLocaleString('en')
  return [
    {
      bench: 'coldstart', measure: `cold start to /health/ready, ${events} events, from a snapshot`, value: fromSnapshot.readySeconds, unit: 's',
      baseline: { name: 'cold start by full rebuild', value: rebuilding.readySeconds }, lowerIsBetter: true,
    },
    { bench: 'coldstart', measure: 'clean shutdown just after the rebuild start (it finishes the snapshot the rebuild began)', value: stopSeconds, unit: 's' },
    { bench: 'coldstart', measure: 'peak RSS per 100,000 learners, snapshot start', value: per100k(snapshotRss), unit: 'MiB' },
    { bench: 'coldstart', measure: 'peak RSS per 100,000 learners, rebuild start', value: per100k(rebuildRss), unit: 'MiB' },
  ]
}
