import { createYAuthClient, type YAuthClient } from "@yauth/client";

/** A request the fake server received. */
export interface Received {
  method: string;
  path: string;
  body: unknown;
}

type Answer = Response | ((request: Request) => Response | Promise<Response>);

/** A JSON answer. */
export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/**
 * A client whose `fetch` answers from `routes` (keyed `"POST /login"`, under `/api/auth`);
 * a route may hold a list of answers, given in turn (the last one repeats). Unknown routes
 * answer 404. `received` lists every request, its JSON body parsed.
 */
export function fakeServer(routes: Record<string, Answer | Answer[]>): { client: YAuthClient; received: Received[] } {
  const received: Received[] = [];
  const served = new Map<string, number>();
  const fetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const path = url.pathname.replace(/^\/api\/auth/, "");
    const text = await request.text();
    received.push({ method: request.method, path, body: text ? JSON.parse(text) : undefined });
    const key = `${request.method} ${path}`;
    const route = routes[key];
    if (route === undefined) return json(404, { error: "not_found", message: `No route ${key}` });
    const answers = Array.isArray(route) ? route : [route];
    const turn = served.get(key) ?? 0;
    served.set(key, turn + 1);
    const answer = answers[Math.min(turn, answers.length - 1)] as Answer;
    // A Response's body is read once: hand out a copy.
    return typeof answer === "function" ? answer(request) : answer.clone();
  };
  return { client: createYAuthClient({ baseUrl: "/api/auth", fetch }), received };
}

/** A signed-in user as `GET /session` answers. */
export function user(email: string, displayName: string | null = null) {
  return {
    id: "2f1c4a2e-8a3b-4c61-9d2e-0b6f1e0c9a11",
    email,
    display_name: displayName,
    email_verified: true,
    role: "user",
    banned: false,
    auth_method: "Session",
  };
}

export const signedOut = () => json(401, { error: "unauthorized", message: "You are not signed in." });
