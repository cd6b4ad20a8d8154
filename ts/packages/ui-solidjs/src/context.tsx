import { type AuthUser, createYAuthClient, isYAuthError, type YAuthClient } from "@yauth/client";
import { type Accessor, batch, createContext, createSignal, type JSX, onMount, useContext } from "solid-js";
import { errorMessage } from "./errors.js";

/** What {@link useYAuth} gives: the client and the signed-in user. */
export interface YAuthContextValue {
  /** The API client every component calls. */
  client: YAuthClient;
  /** The signed-in user; `null` when signed out (or not known yet: see `loading`). */
  user: Accessor<AuthUser | null>;
  /** Whether the session is being fetched. */
  loading: Accessor<boolean>;
  /**
   * Why the last session fetch failed, other than being signed out (a 401 is no error):
   * the server's message, or "Could not reach the server.". `undefined` after a success.
   */
  error: Accessor<string | undefined>;
  /** Fetches the session again (after a sign-in or a sign-out) and resolves with the user. */
  refetch: () => Promise<AuthUser | null>;
}

const YAuthContext = createContext<YAuthContextValue>();

export interface YAuthProviderProps {
  /** The client to use; made from `baseUrl` when absent. Read once. */
  client?: YAuthClient;
  /** Where the API is mounted (default `/api/auth`), when no `client` is given. Read once. */
  baseUrl?: string;
  children?: JSX.Element;
}

/**
 * Gives its children the client and the session: fetches `GET /session` once when mounted,
 * and again on `refetch()`.
 */
export function YAuthProvider(props: YAuthProviderProps): JSX.Element {
  const client = props.client ?? createYAuthClient({ baseUrl: props.baseUrl ?? "/api/auth" });
  const [user, setUser] = createSignal<AuthUser | null>(null);
  const [loading, setLoading] = createSignal(true);
  const [error, setError] = createSignal<string>();
  // Only the latest fetch may write: an older answer arriving late must not win.
  let latest = 0;

  const refetch = async (): Promise<AuthUser | null> => {
    const run = ++latest;
    setLoading(true);
    let next: AuthUser | null = null;
    let failure: string | undefined;
    try {
      next = await client.getSession();
    } catch (e) {
      if (!(isYAuthError(e) && e.status === 401)) failure = errorMessage(e);
    }
    if (run === latest) {
      batch(() => {
        setUser(next);
        setError(failure);
        setLoading(false);
      });
    }
    return next;
  };

  onMount(() => {
    void refetch();
  });

  const value: YAuthContextValue = { client, user, loading, error, refetch };
  return <YAuthContext.Provider value={value}>{props.children}</YAuthContext.Provider>;
}

/** The client and session of the nearest {@link YAuthProvider}. */
export function useYAuth(): YAuthContextValue {
  const value = useContext(YAuthContext);
  if (!value) throw new Error("useYAuth() must be called inside <YAuthProvider>.");
  return value;
}
