import { Anchor, Badge, Input, Text } from "@mantine/core";
import { membershipStatusColors, membershipStatusLabels, joinedByLabel, type MembershipStatus } from "~/domain/organisations";
import { campaignStatusColors, campaignStatusLabels, type CampaignStatus } from "~/domain/campaigns";
import { usageRightsColors, usageRightsLabels, usageRightsShortLabels, type UsageRights } from "~/domain/agreements";
import { formatBytes } from "~/domain/files";
import { formatDate } from "~/domain/format";

/** Badges keep their whole label in narrow table cells. */
export const noShrink = { minWidth: "max-content" } as const;

/** Art. 7 status of an organisation, as a badge. */
export function MembershipBadge({ status }: { status: MembershipStatus }) {
  return (
    <Badge color={membershipStatusColors[status]} variant="filled" style={noShrink}>
      {membershipStatusLabels[status]}
    </Badge>
  );
}

export interface MembershipFields {
  member_since: string | null;
  joined_amendment_number: number | null;
  withdrawal_notice_date: string | null;
  withdrawal_effective_date: string | null;
}

/** "Membre depuis le … (avenant n° 2) · Retrait notifié le …, effectif le …" */
export function membershipSentence(o: MembershipFields): string {
  const parts: string[] = [];
  parts.push(o.member_since ? `Membre depuis le ${formatDate(o.member_since)} (${joinedByLabel(o.joined_amendment_number)})` : "Pas encore membre");
  if (o.withdrawal_notice_date && o.withdrawal_effective_date) {
    parts.push(`retrait notifié le ${formatDate(o.withdrawal_notice_date)}, effectif le ${formatDate(o.withdrawal_effective_date)}`);
  }
  return parts.join(" ; ");
}

export function CampaignStatusBadge({ status }: { status: CampaignStatus }) {
  return (
    <Badge color={campaignStatusColors[status]} variant="filled" style={noShrink}>
      {campaignStatusLabels[status]}
    </Badge>
  );
}

/**
 * Rendered as a <span>: it sits inside sentences (<p>), where Mantine's
 * default <div> is invalid HTML — the browser reparents it and React's
 * hydration fails (#418/#423 on « Ma convention »).
 */
export function UsageRightsBadge({ rights }: { rights: UsageRights }) {
  return (
    <Badge component="span" color={usageRightsColors[rights]} variant="light" title={usageRightsLabels[rights]} style={noShrink}>
      {usageRightsShortLabels[rights]}
    </Badge>
  );
}

/** A link to a stored PDF, with its size. */
export function DocumentLink({ href, document, label }: { href: string; document: { filename: string; sizeBytes?: number; size_bytes?: number } | null; label: string }) {
  if (!document) return <Text span c="dimmed">Aucun document joint</Text>;
  const size = document.sizeBytes ?? document.size_bytes;
  return (
    <Anchor href={href}>
      {label} ({document.filename}
      {size !== undefined ? `, ${formatBytes(size)}` : ""})
    </Anchor>
  );
}

/** A native file field with a Mantine label, hint and error (Mantine's FileInput does not post with the form). */
export function FileField(props: { id: string; name: string; label: string; accept: string; description?: string; error?: string; required?: boolean }) {
  return (
    <Input.Wrapper id={props.id} label={props.label} description={props.description} error={props.error} required={props.required}>
      <input
        id={props.id}
        name={props.name}
        type="file"
        accept={props.accept}
        required={props.required}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.description ? `${props.id}-description` : undefined}
        style={{ display: "block", marginTop: 4 }}
      />
    </Input.Wrapper>
  );
}
