import nodemailer, { type SendMailOptions } from "nodemailer";
import type { MailTransportKind } from "#db/schema";
import type { Env } from "../env.server";

/** One message as handed to the transport. */
export interface OutgoingMail {
  /** Stable per outbox row (`<uuid@domain>`): a copy delivered twice is recognisable as the same mail. */
  messageId: string;
  to: string[];
  replyTo?: string | null;
  subject: string;
  text: string;
  html?: string | null;
}

export interface MailTransport {
  /** `smtp`: a real relay; `capture`: nodemailer's JSON transport, the mail stays in the outbox (demo). */
  readonly kind: MailTransportKind;
  readonly from: string;
  /** Resolves once the transport accepted the message; rejects when it did not. */
  send(mail: OutgoingMail): Promise<{ messageId: string }>;
  close(): void;
}

export type MailSettings = Pick<
  Env,
  "mailTransport" | "MAIL_FROM" | "SMTP_HOST" | "SMTP_PORT" | "SMTP_SECURE" | "SMTP_USER" | "SMTP_PASSWORD"
>;

/** The domain of the sender address, for Message-IDs. */
export function senderDomain(from: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  return address.split("@")[1]?.trim() || "portail-odpe.invalid";
}

/**
 * The transport chosen by the configuration: SMTP (nodemailer) for a
 * production deployment with `SMTP_HOST`; otherwise nodemailer's JSON
 * transport, which builds the message completely but sends nothing — the
 * mail is kept in the outbox and shown in the demo mailbox.
 */
export function createMailTransport(settings: MailSettings): MailTransport {
  const from = settings.MAIL_FROM;
  if (settings.mailTransport === "smtp" && settings.SMTP_HOST) {
    const transporter = nodemailer.createTransport({
      host: settings.SMTP_HOST,
      port: settings.SMTP_PORT,
      secure: settings.SMTP_SECURE,
      auth: settings.SMTP_USER ? { user: settings.SMTP_USER, pass: settings.SMTP_PASSWORD ?? "" } : undefined,
      // A mail is delivered while its outbox row is locked: bounded waits keep that short.
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
    });
    return {
      kind: "smtp",
      from,
      async send(mail) {
        const info = await transporter.sendMail(toNodemailer(from, mail));
        return { messageId: info.messageId };
      },
      close: () => transporter.close(),
    };
  }
  const transporter = nodemailer.createTransport({ jsonTransport: true });
  return {
    kind: "capture",
    from,
    async send(mail) {
      const info = await transporter.sendMail(toNodemailer(from, mail));
      return { messageId: info.messageId };
    },
    close: () => transporter.close(),
  };
}

function toNodemailer(from: string, mail: OutgoingMail): SendMailOptions {
  return {
    from,
    to: mail.to,
    replyTo: mail.replyTo ?? undefined,
    subject: mail.subject,
    text: mail.text,
    html: mail.html ?? undefined,
    messageId: mail.messageId,
    headers: { "Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All" },
  };
}
