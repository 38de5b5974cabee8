/**
 * Cerbos's gRPC messages for `cerbos.svc.v1.CerbosService/CheckResources`, encoded and decoded with
 * the schemas Cerbos publishes in `@cerbos/api` (protobuf-es). Requests and responses cross this
 * module as the JSON the REST API speaks (the protobuf JSON mapping), so the load generator, the
 * decision check and our engine's server handle both protocols with the same code.
 */
import { fromBinary, fromJson, toBinary, toJson, type JsonValue } from '@bufbuild/protobuf';
import { CheckResourcesRequestSchema } from '@cerbos/api/cerbos/request/v1/request_pb';
import { CheckResourcesResponseSchema } from '@cerbos/api/cerbos/response/v1/response_pb';

export const CHECK_RESOURCES_METHOD = '/cerbos.svc.v1.CerbosService/CheckResources';
export const CERBOS_SERVICE = 'cerbos.svc.v1.CerbosService';

/** A REST check body (JSON text or value) → the protobuf request bytes. Throws on a body Cerbos's schema rejects. */
export function encodeCheckRequest(json: string | JsonValue): Buffer {
  const value = typeof json === 'string' ? (JSON.parse(json) as JsonValue) : json;
  return Buffer.from(toBinary(CheckResourcesRequestSchema, fromJson(CheckResourcesRequestSchema, value, { ignoreUnknownFields: true })));
}

/** Request bytes → the REST JSON form (what toCheckRequest reads). */
export function decodeCheckRequest(bytes: Uint8Array): JsonValue {
  return toJson(CheckResourcesRequestSchema, fromBinary(CheckResourcesRequestSchema, bytes));
}

/** A REST check response (JSON value) → protobuf response bytes; fields Cerbos's schema lacks are dropped. */
export function encodeCheckResponse(json: JsonValue): Buffer {
  return Buffer.from(toBinary(CheckResourcesResponseSchema, fromJson(CheckResourcesResponseSchema, json, { ignoreUnknownFields: true })));
}

/** Response bytes → the REST JSON form (`results[].actions: { view: "EFFECT_ALLOW" }`). */
export function decodeCheckResponse(bytes: Uint8Array): JsonValue {
  return toJson(CheckResourcesResponseSchema, fromBinary(CheckResourcesResponseSchema, bytes));
}
