import { cleanup, fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import type { YAuthClient } from "@yauth/client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { YAuthProvider } from "./context.jsx";
import { MfaSetup } from "./MfaSetup.jsx";
import { fakeServer, json, user } from "./testing/fakeServer.js";

afterEach(cleanup);

const setupAnswer = {
  secret: "JBSWY3DPEHPK3PXP",
  otpauth_url: "otpauth://totp/yauth%20demo:ada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=yauth%20demo",
  backup_codes: ["k3j4-h5g6", "p9o8-i7u6"],
};

/** Renders `MfaSetup` with `client`; its `onComplete` is the mock returned. */
function renderSetup(client: YAuthClient) {
  const onComplete = vi.fn();
  render(() => (
    <YAuthProvider client={client}>
      <MfaSetup onComplete={onComplete} />
    </YAuthProvider>
  ));
  return onComplete;
}

describe("MfaSetup", () => {
  it("shows the QR code, the secret and the otpauth URL, then the backup codes once enabled", async () => {
    const { client, received } = fakeServer({
      "GET /session": json(200, user("ada@example.com")),
      "POST /mfa/totp/setup": json(200, setupAnswer),
      "POST /mfa/totp/confirm": json(200, { message: "Two-factor authentication is on." }),
    });
    const onComplete = renderSetup(client);

    fireEvent.click(screen.getByRole("button", { name: "Set up two-factor authentication" }));

    const qr = await screen.findByRole("img", { name: "QR code for your authenticator app" });
    expect(qr.querySelector("svg")).not.toBeNull();
    expect(screen.getByText(setupAnswer.secret).tagName).toBe("CODE");
    expect(screen.getByText(setupAnswer.otpauth_url).tagName).toBe("CODE");
    // The codes stay hidden until the authenticator is proven to work.
    expect(screen.queryByText("k3j4-h5g6")).toBeNull();

    const code = screen.getByLabelText("Authentication code");
    expect(code.getAttribute("inputmode")).toBe("numeric");
    expect(code.getAttribute("autocomplete")).toBe("one-time-code");
    fireEvent.input(code, { target: { value: "123 456" } });
    fireEvent.click(screen.getByRole("button", { name: "Enable" }));

    await waitFor(() => expect(onComplete).toHaveBeenCalledTimes(1));
    expect(received.find((r) => r.path === "/mfa/totp/confirm")?.body).toEqual({ code: "123456" });
    expect(screen.getByRole("heading", { name: "Backup codes" })).toBeTruthy();
    expect(screen.getByRole("status").textContent).toBe("Two-factor authentication is on.");
    expect(screen.getAllByRole("listitem").map((item) => item.textContent)).toEqual(setupAnswer.backup_codes);
  });

  it("keeps the code form and shows the server's message when the code is wrong", async () => {
    const { client } = fakeServer({
      "GET /session": json(200, user("ada@example.com")),
      "POST /mfa/totp/setup": json(200, setupAnswer),
      "POST /mfa/totp/confirm": json(400, { error: "invalid_code", message: "That code is not valid." }),
    });
    const onComplete = renderSetup(client);
    fireEvent.click(screen.getByRole("button", { name: "Set up two-factor authentication" }));
    fireEvent.input(await screen.findByLabelText("Authentication code"), { target: { value: "000000" } });

    fireEvent.click(screen.getByRole("button", { name: "Enable" }));

    expect((await screen.findByRole("alert")).textContent).toBe("That code is not valid.");
    expect(onComplete).not.toHaveBeenCalled();
    expect(screen.queryByText("k3j4-h5g6")).toBeNull();
  });
});
