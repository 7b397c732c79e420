/**
 * Which streams the fold changed: the one hook the live indicator figures need to update the
 * learners a write touched instead of recounting everyone. Watchers are held beside the state
 * (never in it: snapshots serialize the state); a state without any (a replay, a test fold) pays
 * one WeakMap miss per event.
 */
import type { LedgerState } from './state'

export type StreamWatcher = (streamId: string) => void

const watchers = new WeakMap<LedgerState, Set<StreamWatcher>>()

/** Calls `watcher` with the streamId of every event folded into `state` from now on; returns the unwatch. */
export function watchStreams(state: LedgerState, watcher: StreamWatcher): () => void {
  let set = watchers.get(state)
  if (set === undefined) watchers.set(state, (set = new Set()))
  set.add(watcher)
  return () => {
    set.delete(watcher)
    if (set.size === 0 && watchers.get(state) === set) watchers.delete(state)
  }
}

/** Called by the fold for every event, before it is applied. */
export function streamTouched(state: LedgerState, streamId: string): void {
  const set = watchers.get(state)
  if (set !== undefined) for (const watcher of set) watcher(streamId)
}
