/**
 * What the command line says about itself: the overview (`placement-ledger --help`) and each
 * command's help (`placement-ledger <command> --help`), in one place so they say the same thing.
 * The usage lines are also what a bad argument is answered with.
 */
import { ErasureReason, LEARNER_EVENT_TYPES } from '../../events'

export const USAGE = {
  serve: 'usage: placement-ledger serve [--demo]',
  keys: 'usage: placement-ledger keys add|list|revoke ...',
  keysAdd: 'usage: placement-ledger keys add --role admin|operator|auditor|viewer [--operator ID] [--id NAME]',
  keysList: 'usage: placement-ledger keys list [--json]',
  keysRevoke: 'usage: placement-ledger keys revoke ID',
  simulate: 'usage: placement-ledger simulate --learners N [--seed S]',
  import: 'usage: placement-ledger import FILE [--type EventType] [--dry-run] [--report out.csv|out.json]',
  replay: 'usage: placement-ledger replay [--known-at T] [--as-of D]',
  verify: 'usage: placement-ledger verify',
  export: 'usage: placement-ledger export > FILE',
  restore: 'usage: placement-ledger restore FILE [--accept-erased]',
  erase: `usage: placement-ledger erase LEARNER_ID [--reason ${ErasureReason.options.join('|')}]`,
} as const

const ENVIRONMENT = `Configuration comes from the environment: LEDGER_DATA_DIR (default ./data) holds the
embedded store, the keys file, the pepper and the personal-data key store;
EVENTSTORE_CONNECTION_STRING points at EventStoreDB/KurrentDB instead of the embedded store.`

export const OVERVIEW = `usage: placement-ledger <command> [options]

An auditable, event-sourced ledger of a training-to-employment programme.

commands:
  serve [--demo]                      run the HTTP service (--demo: with a simulated programme)
  keys add|list|revoke                manage the API keys
  simulate --learners N [--seed S]    write a realistic programme into an empty ledger
  import FILE [--type T] [--dry-run]  import learner events from NDJSON or CSV
  replay [--known-at T] [--as-of D]   rebuild every projection in isolation (reads only)
  verify                              recompute every hash chain (reads only)
  export                              every stored event as NDJSON on stdout (reads only)
  restore FILE [--accept-erased]      write an export into an empty store
  erase LEARNER_ID [--reason R]       erase a learner's personal data
  help [COMMAND]                      this overview, or one command's help

options:
  -h, --help     this overview; \`placement-ledger <command> --help\` for one command
  --version      the version

${ENVIRONMENT}

Exit codes: 0 done; 1 the work failed (each command's help says when); 2 bad arguments or
configuration, nothing done.
`

export const HELP = {
  serve: `${USAGE.serve}

Runs the HTTP service on $HOST:$PORT (default 127.0.0.1:3000): the API under /v1, the
dashboard at /, the API documentation at /docs. On first start it creates the keys file with an
admin key and prints that key once. Stops cleanly on SIGTERM or Ctrl-C.

options:
  --demo   write a simulated programme of 1,000 learners into an EMPTY ledger while serving,
           then log one line "demo ready" with the URL and how long it took. A ledger that
           already holds events is left as it is (a demo an earlier start left half-written
           is finished).

Logs go to stdout: human-readable on a terminal, JSON lines otherwise (LOG_FORMAT=json|pretty
chooses). Successful requests are logged at debug, refused ones (4xx) at info, failed ones
(5xx) at warn; LOG_LEVEL (default info) sets the threshold.
`,
  keys: `${USAGE.keys}

  keys add --role R [--operator ID] [--id NAME]   add a key; prints it once on stdout
  keys list [--json]                              the keys: id, role, operator (never a hash)
  keys revoke ID                                  remove a key

The keys live in LEDGER_KEYS_FILE (default $LEDGER_DATA_DIR/keys.json) as SHA-256 hashes; a
running service re-reads the file within a second of a change. \`keys <command> --help\` for more.
`,
  keysAdd: `${USAGE.keysAdd}

Mints a key, stores its hash and prints the key alone on stdout (KEY=$(placement-ledger keys
add ...) works); it is never shown again. What was added goes to stderr. A running service
accepts the key within a second.

options:
  --role R         admin, operator, auditor or viewer (required)
  --operator ID    the operator an operator key acts for (required for --role operator)
  --id NAME        the key's id, as it appears in event metadata (default: role and 6 hex digits)
`,
  keysList: `${USAGE.keysList}

Lists the keys of the keys file: id, role and operator. The hashes are never shown.

options:
  --json   one JSON array on stdout instead of a table

Exit codes: 0 listed; 2 no keys file.
`,
  keysRevoke: `${USAGE.keysRevoke}

Removes the key ID from the keys file (\`keys list\` shows the ids). A running service refuses it
within a second. Events it wrote keep its id in their metadata.

Exit codes: 0 revoked; 2 no key with that id.
`,
  simulate: `${USAGE.simulate}

Plans a realistic programme from N and S (the same N and S always give the same ledger: same
ids, dates and eventIds) and writes it through the same command path as the API. Progress on a
terminal; one JSON summary line on stdout.

It writes into an empty ledger only: its operators, cohorts and learners have fixed ids
(OP-ATLAS..., C-0001..., L-000001...) that another programme in the same ledger would already use.
Run again with the same N and S, it finishes a run that was interrupted and otherwise writes
nothing new.

options:
  --learners N   learner records to write, 1 to 1000000 (required)
  --seed S       0 to 4294967295 (default 1)

Exit codes: 0 written; 1 a command failed (the line says where); 2 bad arguments, or a ledger
that holds other events.
`,
  import: `${USAGE.import}

Imports learner events from a file, with the same rules as POST /v1/imports. The file is checked
whole first (nothing is written from a refused file). One JSON summary line on stdout; rejected
rows on stderr, or in the --report file.

options:
  --type T       the event type of every row of a CSV file: ${LEARNER_EVENT_TYPES.join(', ')}
  --dry-run      check every row against the ledger, write nothing
  --report F     the per-row report, as CSV or JSON (by F's extension)

Exit codes: 0 every row accepted or already recorded; 1 some rows rejected; 2 bad arguments or
a file refused whole.
`,
  replay: `${USAGE.replay}

Rebuilds every projection from the log in isolation, as known at T and as of business date D,
and prints one JSON line: position, digest and every indicator. Reads only: the ledger is opened
read-only and nothing is created in the data directory. Without the personal-data key store and
pepper of the ledger, sealed applications read as erased, as they would in the service.

options:
  --known-at T   an ISO timestamp (default: now): only events recorded by then count
  --as-of D      a business date YYYY-MM-DD (default: today in Africa/Casablanca)

Exit codes: 0 done; 1 the store failed; 2 bad arguments or no ledger.
`,
  verify: `${USAGE.verify}

Recomputes every stream's hash chain and prints one JSON line: ok, streams, events, digest and
the first break if any. Reads only: the ledger is opened read-only, nothing is created.

Exit codes: 0 every chain whole; 1 a chain is broken; 2 bad arguments or no ledger.
`,
  export: `${USAGE.export}

Writes every stored event as NDJSON on stdout, in log order: what \`restore\` reads. Reads only:
the ledger is opened read-only, nothing is created. The file holds sealed applications as
ciphertext, never a key.

Exit codes: 0 done; 1 the output was closed early; 2 bad arguments or no ledger.
`,
  restore: `${USAGE.restore}

Writes a file made by \`export\` into an EMPTY store (the configured one), keeping eventIds,
revisions, recordedAt and hashes, then verifies it and prints one JSON summary line. The file is
checked whole first: a refused file writes nothing.

Sealed applications open only with the source's personal-data key store (personal-keys.db) and
pepper (the pepper file, or LEDGER_PEPPER). Copy both into the data directory first. Without
them every sealed application would read \`erased\` for good, and restore refuses, naming how
many, unless it is told otherwise:

options:
  --accept-erased   restore anyway; those applications' personal attributes read \`erased\`

Exit codes: 0 restored and verified; 1 the store failed midway or the result does not verify;
2 bad arguments, a refused file, a store that holds events, or applications that would read
erased.
`,
  erase: `${USAGE.erase}

Erases a learner's personal data, as POST /v1/learners/{id}/erasure does: records
PersonalDataErased and destroys the learner's key. The events stay; the attributes read
\`erased\` everywhere. One JSON line on stdout.

options:
  --reason R   ${ErasureReason.options.join(', ')}

Exit codes: 0 erased (or already erased); 1 refused (unknown learner, application in clear);
2 bad arguments.
`,
  help: `usage: placement-ledger help [COMMAND]

The overview of the commands, or one command's help (as \`placement-ledger COMMAND --help\`).
`,
} as const
