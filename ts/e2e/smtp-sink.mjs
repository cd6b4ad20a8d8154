// An SMTP server on 127.0.0.1 that keeps every mail in memory: the demo's `--smtp-url`
// during the browser tests. It speaks what a mail client needs (EHLO, MAIL, RCPT, DATA,
// RSET, NOOP, QUIT), without TLS or authentication.
import { createServer } from "node:net";

/** A mail as received: its recipients and its text (headers and body). */
export class Mail {
  constructor(to, data) {
    this.to = to;
    this.data = data;
  }

  /** The body, decoded when it was sent quoted-printable. */
  get body() {
    const split = this.data.indexOf("\r\n\r\n");
    const headers = this.data.slice(0, split);
    const body = this.data.slice(split + 4);
    if (!/^content-transfer-encoding:\s*quoted-printable/im.test(headers)) return body;
    return body
      .replace(/=\r\n/g, "")
      .replace(/=([0-9A-F]{2})/gi, (_, hex) => String.fromCharCode(Number.parseInt(hex, 16)));
  }
}

export async function startSmtpSink() {
  const mails = [];
  const server = createServer((socket) => {
    socket.setEncoding("utf8");
    let buffer = "";
    let data = null;
    let to = [];
    const reply = (line) => socket.write(`${line}\r\n`);
    reply("220 yauth-e2e-sink ESMTP");
    socket.on("data", (chunk) => {
      buffer += chunk;
      for (;;) {
        if (data !== null) {
          const end = buffer.indexOf("\r\n.\r\n");
          if (end < 0) return;
          // Dot-stuffing: a line that began with "." was sent with one more.
          const text = (data + buffer.slice(0, end)).replace(/\r\n\.\./g, "\r\n.");
          buffer = buffer.slice(end + 5);
          mails.push(new Mail(to, text));
          data = null;
          to = [];
          reply("250 queued");
          continue;
        }
        const newline = buffer.indexOf("\r\n");
        if (newline < 0) return;
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO") reply("250-yauth-e2e-sink\r\n250-8BITMIME\r\n250 SMTPUTF8");
        else if (verb === "HELO") reply("250 yauth-e2e-sink");
        else if (verb === "MAIL" || verb === "RSET" || verb === "NOOP") {
          if (verb !== "NOOP") to = [];
          reply("250 ok");
        } else if (verb === "RCPT") {
          to.push(/<([^>]*)>/.exec(line)?.[1] ?? "");
          reply("250 ok");
        } else if (verb === "DATA") {
          data = "";
          reply("354 end with <CRLF>.<CRLF>");
        } else if (verb === "QUIT") {
          reply("221 bye");
          socket.end();
          return;
        } else reply("502 not implemented");
      }
    });
    socket.on("error", () => {});
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: server.address().port,
    /**
     * The link to `path` in the newest mail to `email` that has one (and contains the text
     * `containing`, when given), waiting for it.
     */
    async link(email, path, { containing = "", timeout = 15_000 } = {}) {
      const deadline = Date.now() + timeout;
      const pattern = new RegExp(`https?://[^\\s"'<>]+${path.replace(/[/?]/g, "\\$&")}\\?token=[A-Za-z0-9_%-]+`);
      for (;;) {
        const found = mails
          .filter((m) => m.to.includes(email) && m.body.includes(containing))
          .reverse()
          .map((m) => pattern.exec(m.body)?.[0])
          .find(Boolean);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no mail to ${email} with a link to ${path}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    count: (email) => mails.filter((m) => m.to.includes(email)).length,
    close: () => server.close(),
  };
}
