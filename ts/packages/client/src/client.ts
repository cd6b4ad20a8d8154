import type { paths } from "@yauth/shared";
import createClient, { type Client } from "openapi-fetch";
import { YAuthError } from "./error.js";
import { type CoreMethods, type Namespaces, operations } from "./generated/operations.js";
import { type PasskeyCeremonies, passkeyCeremonies } from "./passkey.js";
import type { CallOptions } from "./types.js";

/** What {@link createYAuthClient} takes. */
export interface YAuthClientOptions {
  /** Where the API is mounted: `/api/auth`, or `https://app.example.com/api/auth`. */
  baseUrl: string;
  /** The `fetch` to call (default: the global one, looked up at each call). */
  fetch?: (request: Request) => Promise<Response>;
  /**
   * Whether the browser sends the session cookie (default `"include"`, which a cross-origin
   * API needs; it must then answer CORS with credentials).
   */
  credentials?: RequestCredentials;
  /** Headers sent with every request (an `Authorization: Bearer …`, say). */
  headers?: Record<string, string>;
}

type Operation = {
  readonly id: string;
  readonly method: string;
  readonly path: string;
  readonly pathParams: readonly string[];
  readonly queryParams: readonly string[];
  readonly body: "json" | "form" | null;
  readonly kind: "call" | "navigation";
};

/**
 * The client: the operations of the `core` tag on itself (`getSession()`, `logout()`,
 * `updateProfile()`, `listSessions()`, `endSession()`), and one namespace per OpenAPI tag
 * (`emailPassword`, `passkey`, `mfa`, `oauth`, `bearer`, `apiKeys`, `magicLink`, `admin`,
 * `webhooks`, `accountLockout`, `oidc`, `oauth2Server`, `status`).
 *
 * A method takes its parameters (path and query together) first when it has any, then its
 * body, then {@link CallOptions}; it resolves with the JSON the server answers, or rejects
 * with a {@link YAuthError}. Operations that only redirect (an OAuth sign-in's `authorize`)
 * return the URL to send the browser to.
 */
export type YAuthClient = CoreMethods &
  Omit<Namespaces, "passkey"> & {
    passkey: Namespaces["passkey"] & PasskeyCeremonies;
    /** The API's mount, without a trailing slash. */
    readonly baseUrl: string;
    /** The typed openapi-fetch client underneath, for `raw.GET("/session")` and middleware. */
    readonly raw: Client<paths>;
  };

/** A client for the yauth API mounted at `options.baseUrl`. */
export function createYAuthClient(options: YAuthClientOptions): YAuthClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const fetchImpl = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const raw = createClient<paths>({
    baseUrl,
    fetch: fetchImpl,
    credentials: options.credentials ?? "include",
    ...(options.headers ? { headers: options.headers } : {}),
  });

  const bind = (op: Operation) => {
    const hasParams = op.pathParams.length + op.queryParams.length > 0;
    const split = (params: Record<string, unknown> | undefined) => {
      const path: Record<string, unknown> = {};
      const query: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(params ?? {})) {
        if (op.pathParams.includes(key)) path[key] = value;
        else if (value !== undefined) query[key] = value;
      }
      for (const name of op.pathParams) {
        const value = path[name];
        if (value === undefined || value === null || value === "") {
          throw new TypeError(`${op.id}: the path parameter \`${name}\` is missing`);
        }
        // A URL parser resolves `.` and `..` (escaped or not) to another route.
        if (value === "." || value === "..") {
          throw new TypeError(`${op.id}: the path parameter \`${name}\` cannot be \`${value}\``);
        }
      }
      return { path, query };
    };
    if (op.kind === "navigation") {
      return (params?: Record<string, unknown>) => {
        const { path, query } = split(params);
        const url = op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(path[name])));
        const search = new URLSearchParams(
          Object.entries(query).map(([key, value]) => [key, String(value)] as [string, string]),
        ).toString();
        return `${baseUrl}${url}${search ? `?${search}` : ""}`;
      };
    }
    return async (...args: unknown[]) => {
      const params = hasParams ? (args.shift() as Record<string, unknown> | undefined) : undefined;
      const body = op.body ? args.shift() : undefined;
      const call = (args.shift() as CallOptions | undefined) ?? {};
      const { path, query } = split(params);
      const headers: Record<string, string> = { ...call.headers };
      const init: Record<string, unknown> = {
        params: { path, query },
        headers,
        ...(call.signal ? { signal: call.signal } : {}),
      };
      if (op.body === "json") init.body = body ?? {};
      if (op.body === "form") {
        headers["Content-Type"] = "application/x-www-form-urlencoded";
        init.body = body ?? {};
        init.bodySerializer = (fields: Record<string, unknown>) =>
          new URLSearchParams(
            Object.entries(fields)
              .filter(([, value]) => value !== undefined && value !== null)
              .map(([key, value]) => [key, String(value)] as [string, string]),
          ).toString();
      }
      // The table is generated from the same document as `paths`: each entry is one of its routes.
      const request = raw.request as unknown as (
        method: string,
        url: string,
        init: Record<string, unknown>,
      ) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
      const { data, error, response } = await request(op.method.toLowerCase(), op.path, init);
      if (!response.ok) throw YAuthError.from(response.status, error, response.headers);
      return data;
    };
  };

  const client: Record<string, unknown> = { baseUrl, raw };
  for (const [namespace, group] of Object.entries(operations)) {
    const target: Record<string, unknown> = namespace ? {} : client;
    for (const [name, op] of Object.entries(group)) target[name] = bind(op as Operation);
    if (namespace) client[namespace] = target;
  }
  const passkey = client.passkey as Record<string, unknown>;
  Object.assign(passkey, passkeyCeremonies(passkey as unknown as Parameters<typeof passkeyCeremonies>[0]));
  return client as unknown as YAuthClient;
}
