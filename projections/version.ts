/**
 * The projection version: what a projection snapshot (src/read/snapshots.ts) was folded by. A
 * snapshot of another version is ignored and the log is folded again, so bump this by hand
 * whenever a snapshot written before the change would load into a state other than the fold
 * now builds:
 * - the state's shape changes (a field of LedgerState, LearnerRecord, Fact... added, removed,
 *   renamed, reordered, or holding another kind of value): test/read/projection-version.test.ts
 *   fails until this is bumped and the new shape recorded;
 * - a fold changes what it stores (ledger.ts: a fact's `code`, a date, an index), or an event's
 *   data as the fold receives it changes (events/: an upcaster): no test can see every such
 *   change, so think of it whenever you edit evolveLedger or what it calls;
 * - the snapshot encoding of src/read/snapshots.ts changes in a way its format number does not
 *   cover.
 * History: 1-2 were a number combined with a hash of the source files read at run time; 3 is
 * the first explicit version; 4 adds `streamRevisions` (re-deliveries skipped in every stream).
 */
export const PROJECTION_VERSION = 4
