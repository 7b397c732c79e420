/**
 * Personal data: sealing learner events' personal fields under per-learner keys held outside
 * the log, opening them in every fold, and erasing a learner by destroying its key
 * (crypto-shredding). Pure of any store: where the keys live is the stores' business
 * (store/keys.ts opens the deployment's key store).
 */
export { openAttributes, sealAttributes, masterKeyFrom, newDataKey } from './cipher'
export { isKeyMadeElsewhere, keyMadeElsewhere, MemoryKeyStore, personalDataErased, type PersonalKeyStore } from './key-store'
export { ensureKeyFor, ensureKeysOf, openDecided, personalData, type PersonalData } from './personal-data'
