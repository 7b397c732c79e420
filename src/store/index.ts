/** The event store: its interface and the adapters that implement it. */
export * from './types'
export { openSqliteStore, type SqliteStoreOptions } from './sqlite'
