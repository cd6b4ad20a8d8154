import { flushPromises, mount } from "@vue/test-utils";
import { describe, expect, it } from "vitest";
import { MfaSetup } from "./components/MfaSetup.js";
import { button, byLabel, hasButton, roleText } from "./testing/dom.js";
import { aUser, fakeServer, refusal, withClient } from "./testing/server.js";

const SETUP = {
  secret: "JBSWY3DPEHPK3PXP",
  otpauth_url: "otpauth://totp/yauth:ada%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=yauth",
  backup_codes: ["aaaa-1111", "bbbb-2222", "cccc-3333"],
};

async function mountSetup() {
  const server = fakeServer({ "GET /session": { body: aUser() }, "POST /mfa/totp/setup": { body: SETUP } });
  const wrapper = mount(MfaSetup, { global: withClient(server.client()) });
  await flushPromises();
  return { server, wrapper };
}

async function begin(wrapper: Awaited<ReturnType<typeof mountSetup>>["wrapper"]) {
  await button(wrapper, "Set up two-factor authentication").trigger("click");
  await flushPromises();
}

describe("MfaSetup", () => {
  it("asks for nothing before Set up is pressed", async () => {
    const { server, wrapper } = await mountSetup();
    expect(server.calls("POST /mfa/totp/setup")).toHaveLength(0);
    expect(wrapper.find('[role="img"]').exists()).toBe(false);
  });

  it("shows a QR code, the secret and the otpauth URL as text", async () => {
    const { server, wrapper } = await mountSetup();
    await begin(wrapper);

    expect(server.calls("POST /mfa/totp/setup")).toHaveLength(1);
    const qr = wrapper.find('[role="img"]');
    expect(qr.attributes("aria-label")).toBe("QR code for your authenticator app");
    expect(qr.find("svg").exists()).toBe(true);
    const code = wrapper.findAll("code").map((c) => c.text());
    expect(code).toContain(SETUP.secret);
    expect(code).toContain(SETUP.otpauth_url);
    const input = byLabel(wrapper, "Authentication code");
    expect(input.attributes("inputmode")).toBe("numeric");
    expect(input.attributes("autocomplete")).toBe("one-time-code");
    expect(hasButton(wrapper, "Set up two-factor authentication")).toBe(false);
    // The backup codes wait for the confirmation.
    expect(wrapper.text()).not.toContain("aaaa-1111");
  });

  it("enables with the typed code, then lists the backup codes and emits complete", async () => {
    const { server, wrapper } = await mountSetup();
    server.on("POST /mfa/totp/confirm", { body: { message: "Two-factor authentication is on." } });
    await begin(wrapper);

    await byLabel(wrapper, "Authentication code").setValue(" 123456 ");
    expect(button(wrapper, "Enable").attributes("type")).toBe("submit");
    await wrapper.find("form").trigger("submit");
    await flushPromises();

    expect(server.calls("POST /mfa/totp/confirm")[0]?.body).toEqual({ code: "123456" });
    expect(wrapper.emitted("complete")).toHaveLength(1);
    expect(roleText(wrapper, "status")).toBe("Two-factor authentication is on.");
    expect(wrapper.find("h3").text()).toBe("Backup codes");
    expect(wrapper.findAll("ul li").map((li) => li.text())).toEqual(SETUP.backup_codes);
    expect(wrapper.find("form").exists()).toBe(false);
  });

  it("shows the server's message when the code is refused, and no backup codes", async () => {
    const { server, wrapper } = await mountSetup();
    server.on("POST /mfa/totp/confirm", refusal(400, "invalid_code", "That code is not right."));
    await begin(wrapper);

    await byLabel(wrapper, "Authentication code").setValue("000000");
    await wrapper.find("form").trigger("submit");
    await flushPromises();

    expect(roleText(wrapper, "alert")).toBe("That code is not right.");
    expect(wrapper.emitted("complete")).toBeUndefined();
    expect(wrapper.findAll("ul li")).toHaveLength(0);
  });

  it("shows the server's message when setup is refused", async () => {
    const { server, wrapper } = await mountSetup();
    server.on("POST /mfa/totp/setup", refusal(409, "mfa_enabled", "Two-factor authentication is already on."));
    await begin(wrapper);
    expect(roleText(wrapper, "alert")).toBe("Two-factor authentication is already on.");
    expect(hasButton(wrapper, "Set up two-factor authentication")).toBe(true);
  });
});
