/**
 * yauth's types, generated from the API's OpenAPI document: `paths`, `components` and
 * `operations` (openapi-typescript's shapes), and one alias per schema: `AuthUser` (what
 * `GET /session` answers), `LoginBody`, `TokenPair`, `ErrorBody`, …
 *
 * @module
 */
export type * from "./generated/schema.js";
