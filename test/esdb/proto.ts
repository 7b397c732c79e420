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

/** A UUID as the client sends it: in string form (the Node client) or as two signed 64-bit halves. */
export function uuidToString(uuid: UUID | undefined): string {
  if (uuid === undefined) throw new TypeError('missing uuid')
  if (uuid.hasString()) return uuid.getString()
  const structured = uuid.getStructured()
  if (structured === undefined) throw new TypeError('empty uuid')
  const half = (v: string) => BigInt.asUintN(64, BigInt(v)).toString(16).padStart(16, '0')
  const hex = half(structured.getMostSignificantBits()) + half(structured.getLeastSignificantBits())
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** The UUID in the form the read request asked for (`uuid_option`). */
export function uuidMessage(id: string, asString: boolean): UUID {
  const uuid = new shared.UUID()
  if (asString) return uuid.setString(id)
  const hex = id.replace(/-/g, '')
  const signed = (h: string) => BigInt.asIntN(64, BigInt(`0x${h}`)).toString()
  return uuid.setStructured(new shared.UUID.Structured()
    .setMostSignificantBits(signed(hex.slice(0, 16)))
    .setLeastSignificantBits(signed(hex.slice(16))))
}

export function streamNameOf(identifier: StreamIdentifier | undefined): string {
  if (identifier === undefined) throw new TypeError('missing stream identifier')
  return Buffer.from(identifier.getStreamName_asU8()).toString('utf8')
}

export function streamIdentifier(name: string): StreamIdentifier {
  return new shared.StreamIdentifier().setStreamName(Buffer.from(name, 'utf8'))
}
