// A stand-in for the yauth API in unit tests: a `fetch` that answers canned JSON by
// "METHOD /path" (the path under /api/auth) and records every request it was sent.
import { type AuthUser, createYAuthClient, type YAuthClient } from "@yauth/client";
import { YAuthPlugin, type YAuthPluginOptions } from "../plugin.js";

export interface Received {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

export interface Reply {
  status?: number;
  body?: unknown;
}

export type Route = Reply | ((request: Received) => Reply | Promise<Reply>);

export interface FakeServer {
  /** The `fetch` to give the client. */
  fetch: (request: Request) => Promise<Response>;
  /** Every request received, in order. */
  received: Received[];
  /** Answers `key` ("POST /login") with `route` from now on. */
  on(key: string, route: Route): void;
  /** The requests received for `key`. */
  calls(key: string): Received[];
  /** A client for this server, at /api/auth. */
  client(): YAuthClient;
}

export function fakeServer(routes: Record<string, Route> = {}): FakeServer {
  const table = new Map<string, Route>(Object.entries(routes));
  const received: Received[] = [];
  const fetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const text = await request.text();
    const entry: Received = {
      method: request.method,
      path: url.pathname.replace(/^\/api\/auth/, ""),
      query: url.searchParams,
      body: text ? JSON.parse(text) : undefined,
    };
    received.push(entry);
    const route = table.get(`${entry.method} ${entry.path}`);
    if (!route) return json(404, { error: "not_found", message: `No route ${entry.method} ${entry.path}` });
    const reply = typeof route === "function" ? await route(entry) : route;
    return json(reply.status ?? 200, reply.body);
  };
  return {
    fetch,
    received,
    on: (key, route) => {
      table.set(key, route);
    },
    calls: (key) => received.filter((r) => `${r.method} ${r.path}` === key),
    client: () => createYAuthClient({ baseUrl: "/api/auth", fetch }),
  };
}

function json(status: number, body: unknown): Response {
  if (body === undefined) return new Response(null, { status });
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/** The answer of a refusal, as yauth writes it. */
export function refusal(status: number, error: string, message: string): Reply {
  return { status, body: { error, message } };
}

export const SIGNED_OUT = refusal(401, "unauthorized", "You are not signed in.");

export function aUser(fields: Partial<AuthUser> = {}): AuthUser {
  return {
    id: "0b7e7c1e-4b1a-4c4e-9a51-2f1f3c0f9a10",
    email: "ada@example.com",
    email_verified: true,
    display_name: "Ada",
    role: "user",
    banned: false,
    auth_method: "Session",
    ...fields,
  };
}

/** A promise with its resolve, to hold an answer back. */
export function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The `global` mounting option that installs the plugin with this client. */
export function withClient(client: YAuthClient) {
  return { plugins: [[YAuthPlugin, { client }] as [typeof YAuthPlugin, YAuthPluginOptions]] };
}
