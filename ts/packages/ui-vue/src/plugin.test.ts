import { flushPromises, mount } from "@vue/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { defineComponent, h } from "vue";
import { useYAuth, type YAuthContext, YAuthPlugin } from "./plugin.js";
import { aUser, deferred, fakeServer, type Reply, SIGNED_OUT, withClient } from "./testing/server.js";

/** Mounts a component that only calls `useYAuth()`, and hands back what it got. */
function captureContext(global: ReturnType<typeof withClient>) {
  let context: YAuthContext | undefined;
  const Probe = defineComponent({
    setup() {
      context = useYAuth();
      return () => h("p", context?.user.value?.email ?? "nobody");
    },
  });
  const wrapper = mount(Probe, { global });
  if (!context) throw new Error("setup did not run");
  return { wrapper, context };
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("YAuthPlugin", () => {
  it("fetches the session once at install and shares the user", async () => {
    const server = fakeServer({ "GET /session": { body: aUser({ email: "ada@example.com" }) } });
    const { wrapper, context } = captureContext(withClient(server.client()));
    expect(context.loading.value).toBe(true);
    await flushPromises();
    expect(context.user.value?.email).toBe("ada@example.com");
    expect(context.loading.value).toBe(false);
    expect(wrapper.text()).toBe("ada@example.com");
    expect(server.calls("GET /session")).toHaveLength(1);
  });

  it("takes a 401 from /session as nobody signed in", async () => {
    const server = fakeServer({ "GET /session": SIGNED_OUT });
    const { wrapper, context } = captureContext(withClient(server.client()));
    await flushPromises();
    expect(context.user.value).toBeNull();
    expect(context.loading.value).toBe(false);
    expect(wrapper.text()).toBe("nobody");
  });

  it("builds its own client from { baseUrl }, calling the global fetch", async () => {
    const server = fakeServer({ "GET /session": { body: aUser({ email: "grace@example.com" }) } });
    const urls: string[] = [];
    vi.stubGlobal("fetch", (request: Request) => {
      urls.push(new URL(request.url).pathname);
      return server.fetch(request);
    });
    const { context } = captureContext({ plugins: [[YAuthPlugin, { baseUrl: "/api/auth/" }]] });
    await flushPromises();
    expect(context.client.baseUrl).toBe("/api/auth");
    expect(urls).toEqual(["/api/auth/session"]);
    expect(context.user.value?.email).toBe("grace@example.com");
  });

  it("refetch updates the user, and resolves with it", async () => {
    const server = fakeServer({ "GET /session": SIGNED_OUT });
    const { context } = captureContext(withClient(server.client()));
    await flushPromises();
    server.on("GET /session", { body: aUser({ email: "ada@example.com" }) });
    const user = await context.refetch();
    expect(user?.email).toBe("ada@example.com");
    expect(context.user.value?.email).toBe("ada@example.com");
  });

  it("keeps the newest answer when an older session request comes back last", async () => {
    const slow = deferred<Reply>();
    let first = true;
    const server = fakeServer({
      "GET /session": () => {
        if (first) {
          first = false;
          return slow.promise;
        }
        return { body: aUser({ email: "new@example.com" }) };
      },
    });
    const { context } = captureContext(withClient(server.client()));
    await context.refetch();
    slow.resolve(SIGNED_OUT);
    await flushPromises();
    expect(context.user.value?.email).toBe("new@example.com");
    expect(context.loading.value).toBe(false);
  });

  it("keeps the user when the session request fails for another reason than 401", async () => {
    const server = fakeServer({ "GET /session": { body: aUser() } });
    const { context } = captureContext(withClient(server.client()));
    await flushPromises();
    server.on("GET /session", { status: 503, body: { error: "unavailable", message: "Down for a moment." } });
    await expect(context.refetch()).resolves.toEqual(aUser());
    expect(context.user.value).toEqual(aUser());
  });

  it("makes useYAuth outside the plugin fail with a hint", () => {
    vi.spyOn(console, "warn").mockImplementation(() => undefined);
    const Probe = defineComponent({
      setup() {
        useYAuth();
        return () => null;
      },
    });
    expect(() => mount(Probe)).toThrow(/app\.use\(YAuthPlugin/);
  });
});
