import type { LoaderFunctionArgs } from "@remix-run/node";
import { useLoaderData, Link } from "@remix-run/react";
import { Anchor, Card, Grid12, List, ListItem, Stack, Text, Title } from "~/ui/lite";
import { requireUser, userCan } from "~/server/auth/authorize.server";
import { deadlinesForOrganisation, listCampaigns } from "~/server/campaigns/campaigns.server";
import { ANY_ORGANISATION } from "~/domain/permissions";
import { todayIso } from "~/domain/dates";
import { formatDate, formatDateTime } from "~/domain/format";
import { roleLabels, type Role } from "~/domain/permissions";
import { getDb } from "~/server/runtime.server";
import { getObservatory } from "~/server/observatory/observatory.server";
import { pendingWorkFor } from "~/server/home/pending-work.server";
import { navigationFor } from "~/ui/navigation";
import { listPublishedEditions } from "~/server/dashboard/editions.server";
import { HELD_PAGE } from "~/domain/held-page";

const roleIntro: Record<Role, string> = {
  admin: "Vous gérez les comptes et les paramètres du portail. Vous n'avez pas de droit particulier sur le contenu des données.",
  odpe_referent:
    "Vous animez l'observatoire : campagnes de collecte, examen des transmissions, analyses, tableau de bord annuel et validation de toute mise en ligne (convention, art. 5).",
  committee_member: "Vous consultez les données mutualisées et les productions de l'observatoire, et suivez l'avancement des travaux.",
  partner_correspondent:
    "Vous déposez les tableaux annuels de votre organisme, répondez à l'ODPE et partagez vos documents avec les membres.",
  partner_validator:
    "Vous validez les tableaux de votre organisme avant leur transmission à l'ODPE (art. 4) et décidez de toute diffusion externe de ses données (art. 5).",
  reader: "Vous consultez les rapports et tableaux de bord publiés par l'observatoire.",
};

/** Its pages are held while nothing they show has changed (ADR 055). */
export const handle = HELD_PAGE;

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const db = await getDb();
  const observatory = await getObservatory(db);
  // Campaigns: the referent and the committee see the open ones; a partner sees its own deadlines.
  const allCampaigns = userCan(user, "read:campaign", ANY_ORGANISATION);
  const [openCampaigns, deadlines] = await Promise.all([
    allCampaigns ? listCampaigns(db).then((list) => list.filter((c) => c.status === "open")) : Promise.resolve([]),
    !allCampaigns && userCan(user, "read:campaign", user.organisationId) ? deadlinesForOrganisation(db, user.organisationId, todayIso()) : Promise.resolve([]),
  ]);
  const pending = await pendingWorkFor(db, user, todayIso());
  // Readers (elected officials, directors) find the latest published dashboard and the previous years here.
  const reports = userCan(user, "read:dashboard") ? (await listPublishedEditions(db)).filter((e) => !e.supersededAt).slice(0, 4) : [];
  return {
    pending,
    displayName: user.displayName,
    role: user.role,
    observatory,
    shortcuts: navigationFor(user).filter((item) => item.to !== "/"),
    openCampaigns: openCampaigns.map((c) => ({ year: c.reference_year, deadline: c.deadline, expected: c.expected_count })),
    deadlines,
    reports: reports.map((r) => ({ year: r.year, number: r.number, publishedAt: r.publishedAt })),
  };
}

export default function Home() {
  const data = useLoaderData<typeof loader>();
  return (
    <Stack maw={960}>
      <Title order={2}>Bonjour {data.displayName}</Title>
      <Text>
        {data.observatory.name}
        {data.observatory.isDemo && " — instance de démonstration : les comptes et les données sont fictifs."}
      </Text>
      <Card>
        <Title order={3} size="h4" mb="xs">
          Votre rôle : {roleLabels[data.role]}
        </Title>
        <Text>{roleIntro[data.role]}</Text>
      </Card>
      {data.reports.length > 0 && (
        <Card>
          <Title order={3} size="h4" mb="xs">
            Tableau de bord annuel
          </Title>
          <Text>
            <Anchor component={Link} reloadDocument to={`/dashboard/${data.reports[0]!.year}`} fw={600}>
              Lire le tableau de bord {data.reports[0]!.year}
            </Anchor>{" "}
            (édition n° {data.reports[0]!.number}, publiée le {formatDate(data.reports[0]!.publishedAt)}).
          </Text>
          {data.reports.length > 1 && (
            <Text size="sm" mt={4}>
              Années précédentes :{" "}
              {data.reports.slice(1).map((r, i) => (
                <span key={r.year}>
                  {i > 0 && ", "}
                  <Anchor component={Link} reloadDocument to={`/dashboard/${r.year}`}>
                    {r.year}
                  </Anchor>
                </span>
              ))}{" "}
              —{" "}
              <Anchor component={Link} to="/dashboard">
                comparer les années
              </Anchor>
            </Text>
          )}
        </Card>
      )}
      <PendingWorkCard work={data.pending} />
      {data.deadlines.length > 0 && (
        <Card>
          <Title order={3} size="h4" mb="xs">
            Vos échéances
          </Title>
          {data.deadlines.map((d) => (
            <Text key={d.referenceYear}>
              Collecte {d.referenceYear} : à transmettre au plus tard le {formatDate(d.deadline)}
              {d.reopened ? " (délai accordé par le référent)" : ""}.
            </Text>
          ))}
        </Card>
      )}
      {data.openCampaigns.length > 0 && (
        <Card>
          <Title order={3} size="h4" mb="xs">
            Campagnes ouvertes
          </Title>
          {data.openCampaigns.map((c) => (
            <Text key={c.year}>
              <Anchor component={Link} to={`/campaigns/${c.year}`}>
                Campagne {c.year}
              </Anchor>{" "}
              : {c.expected} transmission(s) attendue(s), date limite le {formatDate(c.deadline)}.
            </Text>
          ))}
        </Card>
      )}
      <Title order={3} size="h4">
        Accès rapides
      </Title>
      <Grid12>
        {data.shortcuts.map((item) => (
          <Card key={item.to}>
            <Anchor component={Link} to={item.to} fw={600}>
              {item.label}
            </Anchor>
          </Card>
        ))}
      </Grid12>
      <Text size="sm" c="dimmed">
        Rappel de la convention : les données transmises restent la propriété de chaque organisme ; leur usage est
        réservé aux membres de l'observatoire, et toute diffusion externe requiert l'accord préalable des sources.
      </Text>
    </Stack>
  );
}

/** Everything that waits for the user, each line a link to where it is done. */
function PendingWorkCard({ work }: { work: ReturnType<typeof useLoaderData<typeof loader>>["pending"] }) {
  const count = work.versions.length + work.returned.length + work.approvals.length + work.requests.length + work.proposals.length;
  if (count === 0) return null;
  return (
    <Card>
      <Title order={3} size="h4" mb="xs">
        En attente de votre action ({count})
      </Title>
      <List spacing={4}>
        {work.returned.map((r) => (
          <ListItem key={`returned-${r.id}`}>
            <Anchor component={Link} to={`/collection/${r.year}/${r.code}`}>
              Indicateurs {r.year}, version {r.number} : renvoyés par l'ODPE
            </Anchor>
            {r.reason ? ` — motif : ${r.reason.replace(/[.\s]+$/, "")}.` : "."} Déposez une version corrigée.
          </ListItem>
        ))}
        {work.versions.map((p) => (
          <ListItem key={`version-${p.id}`}>
            <Anchor component={Link} to={`/collection/${p.year}/${p.code}`}>
              {p.name} — indicateurs {p.year}, version {p.number}
            </Anchor>{" "}
            : {p.status === "submitted" ? "à valider au nom de votre institution" : "à examiner par l'ODPE"}.
          </ListItem>
        ))}
        {work.approvals.map((a) => (
          <ListItem key={`approval-${a.id}`}>
            <Anchor component={Link} to={`/approvals/${a.id}`}>
              Diffusion externe « {a.title} »
            </Anchor>{" "}
            ({a.author}) : accord de votre organisme demandé le {formatDateTime(a.requestedAt)}.
          </ListItem>
        ))}
        {work.requests.map((r) => (
          <ListItem key={`request-${r.id}`}>
            <Anchor component={Link} to={`/requests/${r.id}`}>
              Demande de données « {r.title} »
            </Anchor>{" "}
            : réponse attendue le {formatDate(r.dueOn)}
            {r.late ? " (échéance dépassée)" : ""}.
          </ListItem>
        ))}
        {work.proposals.map((p) => (
          <ListItem key={`proposal-${p.id}`}>
            <Anchor component={Link} to={`/proposals/${p.id}`}>
              Proposition d'indicateur « {p.title} »
            </Anchor>{" "}
            : accord ou objection de votre organisme attendu.
          </ListItem>
        ))}
      </List>
    </Card>
  );
}
