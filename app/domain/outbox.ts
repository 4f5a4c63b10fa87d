/** The states of an outbox mail (app/server/mail/outbox.server.ts), with their French labels. */
export const outboxStatuses = ["pending", "sent", "failed"] as const;
export type OutboxStatus = (typeof outboxStatuses)[number];

export const outboxStatusLabels: Record<OutboxStatus, string> = {
  pending: "En attente",
  sent: "Envoyé",
  failed: "Échec",
};
