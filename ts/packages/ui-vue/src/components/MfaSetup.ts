import type { Json } from "@yauth/client";
import { renderSVG } from "uqr";
import { defineComponent, h, ref, shallowRef, useId, type VNode } from "vue";
import { codeField, form, messages, useAction } from "../internal.js";
import { useYAuthState } from "../plugin.js";

type SetupAnswer = Json<"mfaTotpSetup", 200>;

/**
 * Turns on two-factor authentication for the signed-in user: a secret to scan (QR code) or
 * type, a code from the app to confirm it, then the backup codes, shown once.
 */
export const MfaSetup = defineComponent({
  name: "MfaSetup",
  emits: {
    /** Two-factor authentication is on; the backup codes are on screen. */
    complete: () => true,
  },
  setup(_props, { emit }) {
    const { client } = useYAuthState();
    const id = useId();
    const setup = shallowRef<SetupAnswer | null>(null);
    const qr = shallowRef("");
    const enabled = shallowRef(false);
    const code = ref("");
    const action = useAction();

    const start = () =>
      action.attempt(async () => {
        const answer = await client.mfa.totpSetup();
        // The SVG is drawn from the URL's modules alone: none of its text ends up in the markup.
        qr.value = renderSVG(answer.otpauth_url, { border: 2, pixelSize: 6 });
        setup.value = answer;
      });

    const confirm = () =>
      action.attempt(async () => {
        const answer = await client.mfa.totpConfirm({ code: code.value.trim() });
        code.value = "";
        enabled.value = true;
        action.status.value = answer.message;
        emit("complete");
      });

    const backupCodes = (answer: SetupAnswer) => [
      h("h3", { id: `${id}-backup-heading` }, "Backup codes"),
      h(
        "p",
        "Keep these codes somewhere safe: each one signs you in once if you lose your authenticator. They are not shown again.",
      ),
      h(
        "ul",
        { class: "yauth-backup-codes", "aria-labelledby": `${id}-backup-heading` },
        answer.backup_codes.map((backup) => h("li", { key: backup }, h("code", backup))),
      ),
    ];

    const enrolment = (answer: SetupAnswer) => [
      h("p", "Scan this QR code with your authenticator app, or type the secret into it."),
      h("div", {
        class: "yauth-qr",
        role: "img",
        "aria-label": "QR code for your authenticator app",
        innerHTML: qr.value,
      }),
      h("p", ["Secret: ", h("code", { class: "yauth-secret" }, answer.secret)]),
      h("p", ["Setup link: ", h("code", { class: "yauth-otpauth-url" }, answer.otpauth_url)]),
      form(action, { submit: confirm, button: "Enable" }, [
        codeField(id, code, "The 6-digit code your app shows now.", "numeric"),
      ]),
    ];

    const begin = () => [
      ...messages(action),
      h(
        "button",
        { type: "button", disabled: action.submitting.value, onClick: start },
        "Set up two-factor authentication",
      ),
    ];

    return () => {
      const answer = setup.value;
      let body: (VNode | null)[];
      if (!answer) body = begin();
      else if (!enabled.value) body = enrolment(answer);
      else body = [...messages(action), ...backupCodes(answer)];
      return h("div", { class: "yauth-mfa-setup" }, body);
    };
  },
});
