import { DECISION_DELAY_MS, isFramed } from "@yauth/client";
import { createRoot } from "solid-js";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createDecisionGuard, type DecisionGuard } from "./decisionGuard.js";

let visibility: DocumentVisibilityState = "visible";
let focused = true;
let dispose: (() => void) | undefined;

beforeEach(() => {
  vi.useFakeTimers();
  visibility = "visible";
  focused = true;
  vi.spyOn(document, "visibilityState", "get").mockImplementation(() => visibility);
  vi.spyOn(document, "hasFocus").mockImplementation(() => focused);
});

afterEach(() => {
  dispose?.();
  dispose = undefined;
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function guard(): DecisionGuard {
  return createRoot((done) => {
    dispose = done;
    return createDecisionGuard();
  });
}

function blur() {
  focused = false;
  window.dispatchEvent(new Event("blur"));
}

function focus() {
  focused = true;
  window.dispatchEvent(new Event("focus"));
}

function show(state: DocumentVisibilityState) {
  visibility = state;
  document.dispatchEvent(new Event("visibilitychange"));
}

describe("createDecisionGuard", () => {
  it("is ready once the page has been visible and focused for 700 ms", () => {
    const { ready } = guard();
    expect(DECISION_DELAY_MS).toBe(700);
    expect(ready()).toBe(false);
    vi.advanceTimersByTime(699);
    expect(ready()).toBe(false);
    vi.advanceTimersByTime(1);
    expect(ready()).toBe(true);
  });

  it("a blur disables at once, and the delay starts over on focus", () => {
    const { ready } = guard();
    vi.advanceTimersByTime(700);
    expect(ready()).toBe(true);

    blur();
    expect(ready()).toBe(false);
    vi.advanceTimersByTime(5_000);
    expect(ready()).toBe(false);

    focus();
    vi.advanceTimersByTime(699);
    expect(ready()).toBe(false);
    vi.advanceTimersByTime(1);
    expect(ready()).toBe(true);
  });

  it("a blur during the delay restarts it", () => {
    const { ready } = guard();
    vi.advanceTimersByTime(600);
    blur();
    focus();
    vi.advanceTimersByTime(600);
    expect(ready()).toBe(false);
    vi.advanceTimersByTime(100);
    expect(ready()).toBe(true);
  });

  it("a hidden page is disabled, and the delay starts over once it is visible again", () => {
    const { ready } = guard();
    vi.advanceTimersByTime(700);
    show("hidden");
    expect(ready()).toBe(false);

    show("visible");
    vi.advanceTimersByTime(699);
    expect(ready()).toBe(false);
    vi.advanceTimersByTime(1);
    expect(ready()).toBe(true);
  });

  it("does not start while the page is not focused at first, only once it gets the focus", () => {
    focused = false;
    const { ready } = guard();
    vi.advanceTimersByTime(5_000);
    expect(ready()).toBe(false);

    focus();
    vi.advanceTimersByTime(700);
    expect(ready()).toBe(true);
  });

  it("a page that became visible without the focus waits for it", () => {
    visibility = "hidden";
    const { ready } = guard();
    focused = false;
    show("visible");
    vi.advanceTimersByTime(5_000);
    expect(ready()).toBe(false);
    focus();
    vi.advanceTimersByTime(700);
    expect(ready()).toBe(true);
  });

  it("a focus while ready changes nothing; restart() disables and starts over", () => {
    const { ready, restart } = guard();
    vi.advanceTimersByTime(700);
    focus();
    expect(ready()).toBe(true);

    restart();
    expect(ready()).toBe(false);
    vi.advanceTimersByTime(700);
    expect(ready()).toBe(true);
  });

  it("stops listening when its owner is disposed", () => {
    const { ready } = guard();
    dispose?.();
    dispose = undefined;
    vi.advanceTimersByTime(700);
    expect(ready()).toBe(false);
    focus();
    vi.advanceTimersByTime(700);
    expect(ready()).toBe(false);
  });
});

describe("isFramed", () => {
  it("is false for the top window, true in a frame or when the top cannot be read", () => {
    expect(isFramed()).toBe(false);
    const top = vi.spyOn(window, "top", "get").mockReturnValue({} as Window);
    expect(isFramed()).toBe(true);
    top.mockImplementation(() => {
      throw new DOMException("cross-origin", "SecurityError");
    });
    expect(isFramed()).toBe(true);
  });
});
