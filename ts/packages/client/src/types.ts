// The types the generated method signatures (generated/operations.ts) are written in: each
// picks a part of openapi-typescript's `operations` type for one operation id.
import type { operations } from "@yauth/shared";

/** An operation id of the OpenAPI document (`emailPasswordLogin`). */
export type OperationId = keyof operations;
type Operation<I extends OperationId> = operations[I];

/** The path parameters of an operation (`{ id }` for `/admin/users/{id}`). */
export type PathParams<I extends OperationId> = NonNullable<Operation<I>["parameters"]["path"]>;
/** The query parameters of an operation. */
export type QueryParams<I extends OperationId> = NonNullable<Operation<I>["parameters"]["query"]>;
/** The request body of an operation (JSON, or the fields of a form for the OAuth 2 endpoints). */
export type Body<I extends OperationId> =
  NonNullable<Operation<I>["requestBody"]> extends { content: infer C } ? C[keyof C] : never;
/** The JSON an operation answers with status `S`. */
export type Json<
  I extends OperationId,
  S extends keyof Operation<I>["responses"],
> = Operation<I>["responses"][S] extends { content: { "application/json": infer T } } ? T : never;

/** Per-call options. */
export interface CallOptions {
  /** Aborts the request. */
  signal?: AbortSignal;
  /** Extra headers (`Authorization: Bearer …` for a token or `X-Api-Key` for an API key). */
  headers?: Record<string, string>;
}
