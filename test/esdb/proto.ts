/**
 * The generated protobuf and gRPC code the test server speaks, loaded from inside
 * @eventstore/db-client so that it is the very copy the client uses: the generated serializers
 * check `instanceof`, so a second copy of the messages, of google-protobuf or of grpc-js fails.
 */
import { createRequire } from 'node:module'

const fromClient = createRequire(require.resolve('@eventstore/db-client/package.json'))

export const grpc = fromClient('@grpc/grpc-js') as typeof import('@grpc/grpc-js')
export const streams = fromClient('./generated/streams_pb') as typeof import('@eventstore/db-client/generated/streams_pb')
export const shared = fromClient('./generated/shared_pb') as typeof import('@eventstore/db-client/generated/shared_pb')
export const rpcStatus = fromClient('./generated/status_pb') as typeof import('@eventstore/db-client/generated/status_pb')
export const rpcCode = fromClient('./generated/code_pb') as typeof import('@eventstore/db-client/generated/code_pb')
export const features = fromClient('./generated/serverfeatures_pb') as typeof import('@eventstore/db-client/generated/serverfeatures_pb')
export const streamsService = (fromClient('./generated/streams_grpc_pb') as typeof import('@eventstore/db-client/generated/streams_grpc_pb')).StreamsService
export const featuresService = (fromClient('./generated/serverfeatures_grpc_pb') as typeof import('@eventstore/db-client/generated/serverfeatures_grpc_pb')).ServerFeaturesService

const fromProtobuf = createRequire(fromClient.resolve('google-protobuf'))
export const { Any } = fromProtobuf('./google/protobuf/any_pb') as typeof import('google-protobuf/google/protobuf/any_pb')
export const { Empty: GoogleEmpty } = fromProtobuf('./google/protobuf/empty_pb') as typeof import('google-protobuf/google/protobuf/empty_pb')

export type UUID = import('@eventstore/db-client/generated/shared_pb').UUID
export type StreamIdentifier = import('@eventstore/db-client/generated/shared_pb').StreamIdentifier

/** A UUID in string form: what the Node client sends and asks for (`uuid_option`). */
export function uuidToString(uuid: UUID | undefined): string {
  if (uuid?.hasString() !== true) throw new TypeError('only string UUIDs are modelled')
  return uuid.getString()
}

export const uuidMessage = (id: string): UUID => new shared.UUID().setString(id)

const GUID_FORMS = [
  /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i,
  /^\{([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\}$/i,
  /^\(([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})\)$/i,
  /^([0-9a-f]{8})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{4})([0-9a-f]{12})$/i,
]

/**
 * An event id as the server keeps it: it parses the string into a GUID (the forms .NET's
 * Guid.Parse reads: D, B, P and N), and a GUID prints in lower case with hyphens, whatever was
 * sent. Anything else is refused.
 */
export function guidOf(text: string): string {
  for (const form of GUID_FORMS) {
    const parts = form.exec(text)
    if (parts !== null) return parts.slice(1).join('-').toLowerCase()
  }
  throw new TypeError(`'${text}' is not a valid Guid`)
}

export function streamNameOf(identifier: StreamIdentifier | undefined): string {
  if (identifier === undefined) throw new TypeError('missing stream identifier')
  return Buffer.from(identifier.getStreamName_asU8()).toString('utf8')
}

export function streamIdentifier(name: string): StreamIdentifier {
  return new shared.StreamIdentifier().setStreamName(Buffer.from(name, 'utf8'))
}
