import type { SendMailOptions, Transporter } from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport";
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
  const smtp = settings.mailTransport === "smtp" && !!settings.SMTP_HOST;
  // nodemailer (~13 MiB) is loaded with the first mail, not at start (ADR 039).
  let transporter: Promise<Transporter> | undefined;
  let opened: Transporter | undefined;
  const open = () =>
    (transporter ??= import("nodemailer").then((module) => {
      const nodemailer = module.default;
      const options: SMTPTransport.Options | { jsonTransport: true } = smtp
        ? {
            host: settings.SMTP_HOST,
            port: settings.SMTP_PORT,
            secure: settings.SMTP_SECURE,
            auth: settings.SMTP_USER ? { user: settings.SMTP_USER, pass: settings.SMTP_PASSWORD ?? "" } : undefined,
            // A mail is delivered while its outbox row is locked: bounded waits keep that short.
            connectionTimeout: 15_000,
            greetingTimeout: 15_000,
            socketTimeout: 60_000,
          }
        : { jsonTransport: true };
      opened = nodemailer.createTransport(options);
      return opened;
    }));
  return {
    kind: smtp ? "smtp" : "capture",
    from,
    async send(mail) {
      const info = (await (await open()).sendMail(toNodemailer(from, mail))) as { messageId: string };
      return { messageId: info.messageId };
    },
    close: () => opened?.close(),
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
