// What the browser-side tests share: a free port, the demo started and awaited, Chromium.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import assert from "node:assert/strict";

/// A port free on the loopback address right now.
export function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/// Starts the demo (`YAUTH_DEMO_BIN`) on 127.0.0.1:`port` with `args`; the child process.
export function spawnDemo(port, args) {
  const bin = process.env.YAUTH_DEMO_BIN;
  assert.ok(bin, "set YAUTH_DEMO_BIN to the demo binary");
  return spawn(bin, ["--addr", `127.0.0.1:${port}`, "--database-url", "memory", "--no-hibp", ...args], {
    stdio: ["ignore", "inherit", "inherit"],
  });
}

/// Waits until the demo on `port` answers its page.
export async function demoReady(port) {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/`)).ok) return;
    } catch {}
    assert.ok(i < 600, "the demo did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
}

/// Debian's Chromium (`CHROMIUM_BIN`), headless, through playwright-core (this folder's, or
/// the `playwright` module given: ts/e2e passes its own).
export async function launchChromium(playwright) {
  const { chromium } = playwright ?? (await import("playwright-core"));
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
