import { Group, Text } from "./lite";

/** A contributor as a publication or the extranet lists it. */
export interface ContributorView {
  id: string;
  name: string;
  hasLogo: boolean;
}

/** Contributor logos and names (Art. 5: sources cited; the dashboard shows each contributor's logo too). */
export function Contributors({ contributors, logoUrl }: { contributors: ContributorView[]; logoUrl: (id: string) => string }) {
  if (contributors.length === 0) return null;
  return (
    <Group gap="md" aria-label="Organismes contributeurs" role="list">
      {contributors.map((c) => (
        <Group key={c.id} gap={6} role="listitem" wrap="nowrap" style={{ minWidth: 0 }}>
          {c.hasLogo && <img src={logoUrl(c.id)} alt="" height={32} style={{ maxWidth: 96, objectFit: "contain", flex: "none" }} />}
          <Text size="sm" style={{ minWidth: 0 }}>
            {c.name}
          </Text>
        </Group>
      ))}
    </Group>
  );
}

