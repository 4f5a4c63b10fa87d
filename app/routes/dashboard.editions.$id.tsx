import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { Alert, Anchor, Button, Card, Code, Group, List, SimpleGrid, Stack, Table, Text, TextInput, Textarea, Title } from "@mantine/core";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { parseForm } from "~/server/http/forms.server";
import { intentFailure, intentSuccess, orNotFound, unknownIntent, type IntentResult } from "~/server/http/results.server";
import { editionOverview, getEdition, publishEdition, recordOnpeTransmission, saveEditionTexts, transitionEdition } from "~/server/dashboard/editions.server";
import { renderPublicReport } from "~/server/dashboard/report-artefacts.server";
import { editionFileUrl } from "~/server/dashboard/pages.server";
import {
  canApply,
  editionFileKinds,
  editionFileLabels,
  editionTextsSchema,
  editionTransitions,
  FOREWORD_MIN,
  parseEditionTexts,
  transmissionSchema,
} from "~/domain/dashboard";
import { todayIso } from "~/domain/dates";
import { formatBytes } from "~/domain/files";
import { FormAlert } from "~/ui/FormAlert";
import { TableScroll } from "~/ui/TableScroll";
import { EditionStatusBadge } from "~/ui/dashboard/EditionStatusBadge";
import { formatDate, formatDateTime } from "~/domain/format";
import { requireParam } from "~/server/http/params.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `Tableau de bord ${data?.edition.row.reference_year ?? ""}, édition n° ${data?.edition.row.number ?? ""} — Portail ODPE` },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "manage:dashboard");
  const id = requireParam(params, "id", "uuid", "Édition introuvable");
  const db = await getDb();
  const edition = await orNotFound(() => getEdition(db, id));
  const overview = await editionOverview(db, id);
  const status = edition.row.status;
  return {
    edition,
    overview,
    today: todayIso(),
    actions: {
      texts: status === "draft",
      validate: canApply("validate", status),
      reopen: canApply("reopen", status),
      publish: canApply("publish", status),
      transmit: canApply("transmit", status),
    },
    files: edition.row.published_at
      ? edition.files.map((f) => ({ kind: f.kind, label: editionFileLabels[f.kind], size: f.size_bytes, sha256: f.sha256, url: editionFileUrl(id, f.kind) }))
      : editionFileKinds.filter((k) => k !== "onpe_package").map((kind) => ({ kind, label: `${editionFileLabels[kind]} — aperçu`, size: null, sha256: null, url: editionFileUrl(id, kind) })),
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "manage:dashboard");
  const id = requireParam(params, "id", "uuid", "Édition introuvable");
  const intent = new URL(request.url).searchParams.get("intent") ?? "";
  const db = await getDb();
  const actor = actorOf(user, context);
  try {
    const form = await request.formData();
    switch (intent) {
      case "texts":
        await saveEditionTexts(db, actor, id, parseEditionTexts(parseForm(editionTextsSchema, form)));
        return intentSuccess(intent, "Les textes sont enregistrés.");
      case "validate":
      case "reopen":
        await transitionEdition(db, actor, id, intent);
        return intentSuccess(intent, intent === "validate" ? "L'édition est validée : prévisualisez-la une dernière fois puis publiez-la." : "La rédaction est rouverte.");
      case "publish": {
        const result = await publishEdition(db, actor, id);
        await renderPublicReport(db, result.year);
        return intentSuccess(intent, `L'édition est publiée et figée (empreinte ${result.sha256.slice(0, 12)}…). Le paquet ONPE est prêt à être transmis.`);
      }
      case "transmit":
        await recordOnpeTransmission(db, actor, id, parseForm(transmissionSchema, form));
        return intentSuccess(intent, "La transmission à l'ONPE est enregistrée.");
      default:
        throw unknownIntent();
    }
  } catch (error) {
    return intentFailure(intent, error);
  }
}

export default function EditionPage() {
  const { edition, overview, actions, files, today } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as IntentResult | undefined;
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const busy = (intent: string) => navigation.state === "submitting" && navigation.formAction?.includes(`intent=${intent}`);
  const pick = (intent: string) => (result?.intent === intent ? result : null);
  const { row, meta, transmission } = edition;
  const workflow = pick("validate") ?? pick("reopen") ?? pick("publish");
  const texts = pick("texts");
  const transmit = pick("transmit");
  const preview = `/dashboard/editions/${row.id}/apercu`;
  return (
    <Stack maw={1100}>
      <Anchor component={Link} to="/dashboard/editions">
        ← Éditions du tableau de bord
      </Anchor>
      <Group>
        <Title order={2}>
          Tableau de bord {row.reference_year} — édition n° {row.number}
        </Title>
        <EditionStatusBadge status={row.status} />
      </Group>
      {params.get("preparee") && (
        <Alert color="green.9" role="status">
          L'édition est préparée : rédigez l'avant-propos et les commentaires, puis prévisualisez-la.
        </Alert>
      )}
      {row.correction_note && <Text>Édition corrective : {row.correction_note}</Text>}
      {row.superseded_at && <Alert color="orange.9">Cette édition a été remplacée le {formatDate(row.superseded_at)} par une édition corrigée.</Alert>}

      <Card withBorder>
        <Title order={3} size="h4" mb="xs">
          {row.published_at ? "Contenu figé" : "Assemblage à partir des données acceptées"}
        </Title>
        <SimpleGrid cols={{ base: 1, sm: 3 }} spacing="xs">
          <Text>
            <strong>{overview.indicators}</strong> indicateurs ({overview.publicIndicators} dans l'édition publique)
          </Text>
          <Text>
            <strong>{overview.contributors}</strong> organismes contributeurs
          </Text>
          <Text>
            <strong>{overview.masked}</strong> valeurs masquées par le secret statistique
          </Text>
          <Text>
            <strong>{overview.late}</strong> transmission(s) en retard, <strong>{overview.notTransmitted}</strong> manquante(s)
          </Text>
          <Text>
            <strong>{overview.missing}</strong> indicateur(s) incomplet(s)
          </Text>
          <Text>{row.published_at ? `Publiée le ${formatDateTime(row.published_at)}` : `Assemblé le ${formatDateTime(overview.assembledAt)}`}</Text>
        </SimpleGrid>
        {overview.internalIndicators.length > 0 && (
          <Text size="sm" mt="xs">
            À usage interne (absents de l'édition publique) : {overview.internalIndicators.join(", ")}.
          </Text>
        )}
        <Group mt="md" gap="sm">
          <Button component={Link} to={preview} variant="outline">
            {row.published_at ? "Lire l'édition interne" : "Prévisualiser l'édition interne"}
          </Button>
          <Button component={Link} to={`${preview}?vue=publique`} variant="outline">
            {row.published_at ? "Lire l'édition publique" : "Prévisualiser l'édition publique"}
          </Button>
        </Group>
      </Card>

      <Card withBorder>
        <Title order={3} size="h4" mb="xs">
          Validation et publication
        </Title>
        <FormAlert error={workflow && !workflow.ok ? workflow.formError : null} success={workflow?.ok ? workflow.message : null} />
        {workflow && !workflow.ok && workflow.fieldErrors.foreword && <Text c="red.9">{workflow.fieldErrors.foreword[0]}</Text>}
        <Text size="sm" my="xs">
          {row.status === "draft" && `Validez l'édition quand l'avant-propos (${FOREWORD_MIN} caractères au moins) et les commentaires sont prêts.`}
          {row.status === "validated" && "La publication assemble les valeurs une dernière fois et fige l'édition : valeurs, textes, PDF, classeurs et paquet ONPE."}
          {row.status === "published" && "L'édition est publiée. Téléchargez le paquet ONPE, transmettez-le, puis enregistrez la transmission ci-dessous."}
          {row.status === "transmitted" && "L'édition est publiée et transmise à l'ONPE. Pour la corriger, préparez une nouvelle édition de la même année."}
        </Text>
        <Group gap="sm">
          {actions.validate && (
            <Form method="post" action="?intent=validate">
              <Button type="submit" loading={busy("validate")}>
                {editionTransitions.validate.label}
              </Button>
            </Form>
          )}
          {actions.reopen && (
            <Form method="post" action="?intent=reopen">
              <Button type="submit" variant="outline" loading={busy("reopen")}>
                {editionTransitions.reopen.label}
              </Button>
            </Form>
          )}
          {actions.publish && (
            <Form method="post" action="?intent=publish">
              <Button type="submit" color="green.9" loading={busy("publish")}>
                {editionTransitions.publish.label}
              </Button>
            </Form>
          )}
          {row.published_at && (
            <Button component={Link} reloadDocument to={`/dashboard/${row.reference_year}?edition=${row.number}`} variant="subtle">
              Voir la page publiée
            </Button>
          )}
        </Group>
      </Card>

      <Card withBorder>
        <Title order={3} size="h4" mb="xs">
          Fichiers
        </Title>
        <TableScroll label="Fichiers de l'édition" minWidth={640}>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Fichier</Table.Th>
                <Table.Th scope="col">Taille</Table.Th>
                <Table.Th scope="col">Empreinte SHA-256</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {files.map((f) => (
                <Table.Tr key={f.kind}>
                  <Table.Td>
                    <Anchor href={f.url}>{f.label}</Anchor>
                  </Table.Td>
                  <Table.Td>{f.size === null ? "—" : formatBytes(f.size)}</Table.Td>
                  <Table.Td>{f.sha256 ? <Code>{f.sha256}</Code> : "généré à la demande"}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      </Card>

      {(actions.transmit || transmission) && (
        <Card withBorder>
          <Title order={3} size="h4" mb="xs">
            Transmission à l'ONPE
          </Title>
          {transmission ? (
            <List spacing={4}>
              <List.Item>Transmise le {formatDate(transmission.transmitted_on)}</List.Item>
              <List.Item>
                Enregistrée par {transmission.recorded_by_label} le {formatDateTime(transmission.recorded_at)}
              </List.Item>
              <List.Item>
                Paquet transmis : <Code>{transmission.package_sha256}</Code>
              </List.Item>
              {transmission.note && <List.Item>Note : {transmission.note}</List.Item>}
            </List>
          ) : (
            <Form method="post" action="?intent=transmit">
              <Stack gap="sm" maw={560}>
                <FormAlert error={transmit && !transmit.ok ? transmit.formError : null} />
                <TextInput
                  type="date"
                  name="transmittedOn"
                  label="Date de transmission à l'ONPE"
                  defaultValue={today}
                  max={today}
                  required
                  error={transmit && !transmit.ok ? transmit.fieldErrors.transmittedOn?.[0] : undefined}
                />
                <Textarea
                  name="note"
                  label="Note"
                  description="Moyen de transmission, référence de l'envoi… (facultatif)"
                  autosize
                  minRows={2}
                  error={transmit && !transmit.ok ? transmit.fieldErrors.note?.[0] : undefined}
                />
                <Group>
                  <Button type="submit" loading={busy("transmit")}>
                    {editionTransitions.transmit.label}
                  </Button>
                </Group>
              </Stack>
            </Form>
          )}
          {transmit?.ok && <FormAlert success={transmit.message} />}
        </Card>
      )}

      <Card withBorder>
        <Title order={3} size="h4" mb="xs">
          Avant-propos et commentaires
        </Title>
        {actions.texts ? (
          <Form method="post" action="?intent=texts">
            <Stack gap="sm">
              <FormAlert error={texts && !texts.ok ? texts.formError : null} success={texts?.ok ? texts.message : null} />
              <Textarea
                name="foreword"
                label="Avant-propos"
                description="Présente l'édition aux lecteurs (élus, directions, ONPE). Séparez les paragraphes par une ligne vide."
                defaultValue={meta.foreword}
                autosize
                minRows={5}
                error={texts && !texts.ok ? texts.fieldErrors.foreword?.[0] : undefined}
              />
              {overview.domains.map((d) => (
                <Textarea
                  key={d.code}
                  name={`comment_${d.code}`}
                  label={`Commentaire : ${d.label}`}
                  defaultValue={meta.comments[d.code] ?? ""}
                  autosize
                  minRows={2}
                  error={texts && !texts.ok ? texts.fieldErrors[`comment_${d.code}`]?.[0] : undefined}
                />
              ))}
              <Group>
                <Button type="submit" loading={busy("texts")}>
                  Enregistrer les textes
                </Button>
              </Group>
            </Stack>
          </Form>
        ) : (
          <Stack gap="xs">
            <Text size="sm">{row.published_at ? "Les textes sont figés avec l'édition." : "Reprenez la rédaction pour modifier les textes."}</Text>
            <Text style={{ whiteSpace: "pre-wrap" }}>{meta.foreword || "Pas d'avant-propos."}</Text>
            {Object.entries(meta.comments).map(([code, body]) => (
              <Text key={code} size="sm" style={{ whiteSpace: "pre-wrap" }}>
                <strong>{overview.domains.find((d) => d.code === code)?.label ?? code} :</strong> {body}
              </Text>
            ))}
          </Stack>
        )}
      </Card>
    </Stack>
  );
}
