import {
  type AuthUser,
  createYAuthClient,
  isYAuthError,
  type YAuthClient,
  type YAuthClientOptions,
} from "@yauth/client";
import { type App, type InjectionKey, inject, type Ref, shallowRef } from "vue";

/** What {@link YAuthPlugin} takes: the options of a new client, or a client made beforehand. */
export type YAuthPluginOptions = YAuthClientOptions | { client: YAuthClient };

/** What {@link useYAuth} gives: the client and the signed-in user, shared by the whole app. */
export interface YAuthContext {
  /** The API client. */
  readonly client: YAuthClient;
  /** The signed-in user, or `null` when nobody is signed in (or before the first answer). */
  readonly user: Readonly<Ref<AuthUser | null>>;
  /** Whether the session is being fetched. */
  readonly loading: Readonly<Ref<boolean>>;
  /**
   * Asks the server who is signed in and updates `user`. Never rejects: a 401 means nobody
   * (`null`); any other failure leaves `user` as it was.
   */
  refetch(): Promise<AuthUser | null>;
}

/** The state behind the context, with what only this package may do to it. */
export interface YAuthState extends YAuthContext {
  readonly user: Ref<AuthUser | null>;
  readonly loading: Ref<boolean>;
  /** Ends the session on the server (a 401 counts as already ended) and forgets the user. */
  signOut(): Promise<void>;
}

/** The injection key of the shared state (provided by {@link YAuthPlugin}). */
export const YAuthKey: InjectionKey<YAuthState> = Symbol("yauth");

/** Makes the state for one app: nothing is fetched until `refetch()`. */
export function createYAuthState(options: YAuthPluginOptions): YAuthState {
  const client = "client" in options ? options.client : createYAuthClient(options);
  const user = shallowRef<AuthUser | null>(null);
  const loading = shallowRef(false);
  // Only the newest request may write: an older answer arriving late must not win.
  let generation = 0;

  async function refetch(): Promise<AuthUser | null> {
    const mine = ++generation;
    loading.value = true;
    try {
      const session = await client.getSession();
      if (mine === generation) user.value = session;
    } catch (e) {
      if (mine === generation && isYAuthError(e) && e.status === 401) user.value = null;
    } finally {
      if (mine === generation) loading.value = false;
    }
    return user.value;
  }

  async function signOut(): Promise<void> {
    try {
      await client.logout();
    } catch (e) {
      if (!isYAuthError(e) || e.status !== 401) throw e;
    }
    generation++;
    user.value = null;
    loading.value = false;
  }

  return { client, user, loading, refetch, signOut };
}

/**
 * The Vue plugin: `app.use(YAuthPlugin, { baseUrl: "/api/auth" })` or
 * `app.use(YAuthPlugin, { client })`. It provides the client and the session to every
 * component and fetches the session once, at install.
 */
export const YAuthPlugin = {
  install(app: App, options: YAuthPluginOptions): void {
    if (!options) throw new TypeError("YAuthPlugin needs options: { baseUrl } or { client }");
    const state = createYAuthState(options);
    app.provide(YAuthKey, state);
    void state.refetch();
  },
};

/** The shared state, for this package's components and composables. */
export function useYAuthState(): YAuthState {
  const state = inject(YAuthKey, null);
  if (!state) {
    throw new Error("yauth: no client here. Install the plugin first: app.use(YAuthPlugin, { baseUrl: '/api/auth' })");
  }
  return state;
}

/** The client and the session: `{ client, user, loading, refetch }`. Call it in `setup`. */
export function useYAuth(): YAuthContext {
  const { client, user, loading, refetch } = useYAuthState();
  return { client, user, loading, refetch };
}
