import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { Alert, Anchor, Button, Card, Checkbox, Group, NativeSelect, Stack, Table, Text, Title } from "@mantine/core";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { getAgreement, setAgreementDocument, setAgreementIndicators, updateAgreement } from "~/server/agreements/agreements.server";
import { listCatalogue } from "~/server/indicators/indicators.server";
import { parseForm } from "~/server/http/forms.server";
import { readUploadForm, uploadedFile } from "~/server/http/uploads.server";
import { intentFailure, intentSuccess, orNotFound, unknownIntent, type IntentResult } from "~/server/http/results.server";
import { DomainError } from "~/server/errors.server";
import { DEFAULT_USAGE_RIGHTS, usageRightsExplanations, usageRightsLabels, usageRightsValues } from "~/domain/agreements";
import { agreementFormSchema, parseAgreementIndicators } from "~/domain/agreement-forms";
import { DOCUMENT_ACCEPT, DOCUMENT_MAX_BYTES } from "~/domain/files";
import { todayIso } from "~/domain/dates";
import { AgreementForm } from "~/ui/AgreementForm";
import { FormAlert } from "~/ui/FormAlert";
import { DocumentLink, FileField, MembershipBadge } from "~/ui/referential";
import { TableScroll } from "~/ui/TableScroll";
import { requireParam } from "~/server/http/params.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `Convention d'application ${data?.agreement.organisation_code ?? ""} — Portail ODPE` },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "manage:agreement");
  const id = requireParam(params, "id", "uuid", "Convention d'application introuvable");
  const db = await getDb();
  const [agreement, catalogue] = await Promise.all([orNotFound(() => getAgreement(db, id, todayIso())), listCatalogue(db)]);
  const covered = new Map(agreement.indicators.map((i) => [i.indicator_id, i.usage_rights]));
  const notAvailable = new Set(agreement.indicators.filter((i) => i.not_available_allowed).map((i) => i.indicator_id));
  const rows = catalogue.map((i) => ({
    id: i.id,
    code: i.code,
    label: i.current.label,
    domain: i.domain_label,
    provided: i.providers.some((p) => p.id === agreement.organisation_id),
    covered: covered.has(i.id),
    rights: covered.get(i.id) ?? DEFAULT_USAGE_RIGHTS,
    notAvailableAllowed: notAvailable.has(i.id),
  }));
  return { agreement, rows };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "manage:agreement");
  const id = requireParam(params, "id", "uuid", "Convention d'application introuvable");
  const intent = new URL(request.url).searchParams.get("intent") ?? "";
  const db = await getDb();
  const actor = actorOf(user, context);
  try {
    const form = await readUploadForm(request, DOCUMENT_MAX_BYTES);
    switch (intent) {
      case "terms":
        await updateAgreement(db, actor, id, parseForm(agreementFormSchema, form));
        return intentSuccess(intent, "Les modalités sont enregistrées.");
      case "indicators": {
        const list = parseAgreementIndicators(form);
        await setAgreementIndicators(db, actor, id, list);
        return intentSuccess(intent, `Indicateurs et droits d'usage enregistrés (${list.length} indicateur(s)).`);
      }
      case "document": {
        const upload = await uploadedFile(form, "document");
        if (!upload) throw new DomainError("validation", "Choisissez le PDF signé.", { document: ["Choisissez le PDF signé."] });
        await setAgreementDocument(db, actor, id, upload);
        return intentSuccess(intent, "La convention d'application signée est jointe.");
      }
      default:
        throw unknownIntent();
    }
  } catch (error) {
    return intentFailure(intent, error);
  }
}

type Row = { id: string; code: string; label: string; domain: string; provided: boolean; covered: boolean; rights: string; notAvailableAllowed: boolean };

function IndicatorRows({ rows }: { rows: Row[] }) {
  return (
    <TableScroll label="Indicateurs et droits d'usage" minWidth={960}>
      <Table striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Transmis</Table.Th>
            <Table.Th scope="col">Indicateur</Table.Th>
            <Table.Th scope="col">Domaine</Table.Th>
            <Table.Th scope="col">Droit d'usage</Table.Th>
            <Table.Th scope="col">Autoriser « non disponible » (ND/NC)</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((r) => (
            <Table.Tr key={r.id}>
              <Table.Td>
                <Checkbox name="indicator" value={r.id} defaultChecked={r.covered} aria-label={`${r.code} transmis`} />
              </Table.Td>
              <Table.Td>
                <Text size="sm" fw={600}>
                  {r.code}
                </Text>
                <Text size="sm">{r.label}</Text>
              </Table.Td>
              <Table.Td>{r.domain}</Table.Td>
              <Table.Td>
                <NativeSelect
                  name={`rights.${r.id}`}
                  aria-label={`Droit d'usage de ${r.code}`}
                  defaultValue={r.rights}
                  data={usageRightsValues.map((v) => ({ value: v, label: usageRightsLabels[v] }))}
                />
              </Table.Td>
              <Table.Td>
                <Checkbox
                  name={`notAvailable.${r.id}`}
                  defaultChecked={r.notAvailableAllowed}
                  aria-label={`Autoriser « non disponible » (ND/NC) pour ${r.code}`}
                />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </TableScroll>
  );
}

export default function AgreementPage() {
  const { agreement: a, rows } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as IntentResult | undefined;
  const [params] = useSearchParams();
  const pick = (intent: string) => (result?.intent === intent ? result : null);
  const terms = pick("terms");
  const indicators = pick("indicators");
  const document = pick("document");
  const main = rows.filter((r) => r.covered || r.provided);
  const others = rows.filter((r) => !r.covered && !r.provided);
  return (
    <Stack maw={1100}>
      <Anchor component={Link} to="/agreements">
        ← Conventions d'application
      </Anchor>
      <Group>
        <Title order={2}>Convention d'application — {a.organisation_name}</Title>
        <MembershipBadge status={a.organisationStatus} />
      </Group>
      {params.get("created") && (
        <Alert color="green.9" role="status">
          La convention d'application est créée avec les indicateurs que le catalogue attribue à l'organisme, en « diffusion
          externe sur accord ». Ajustez les indicateurs et les droits d'usage ci-dessous.
        </Alert>
      )}
      <Text>
        <Anchor component={Link} to={`/organisations/${a.organisation_id}`}>
          {a.organisation_code}
        </Anchor>{" "}
        — {a.inForce ? "en vigueur" : "hors de sa période de validité"}.
      </Text>

      <Card withBorder>
        <Title order={3} size="h4" mb="xs">
          Modalités (art. 4)
        </Title>
        <AgreementForm action="?intent=terms" defaults={a} result={terms} submitLabel="Enregistrer les modalités" />
      </Card>

      <Card withBorder>
        <Title order={3} size="h4" mb="xs">
          Indicateurs transmis et droits d'usage (art. 4 et 5)
        </Title>
        <Stack gap="xs" mb="sm">
          {usageRightsValues.map((v) => (
            <Text size="sm" key={v}>
              <strong>{usageRightsLabels[v]}</strong> : {usageRightsExplanations[v]}
            </Text>
          ))}
        </Stack>
        <Text size="sm" mb="sm">
          <strong>Autoriser « non disponible » (ND/NC)</strong> : l'organisme peut déclarer une cellule « ND — non disponible » (avec
          un motif) ou « NC — non concerné » au lieu d'un nombre ; la donnée est enregistrée comme manquante, jamais comme 0.
        </Text>
        <FormAlert error={indicators && !indicators.ok ? indicators.formError : null} success={indicators?.ok ? indicators.message : null} />
        <Form method="post" action="?intent=indicators">
          <Stack>
            <IndicatorRows rows={main} />
            {others.length > 0 && (
              <details>
                <summary>Autres indicateurs du catalogue ({others.length})</summary>
                <IndicatorRows rows={others} />
              </details>
            )}
            <Group>
              <Button type="submit">Enregistrer les indicateurs et droits d'usage</Button>
            </Group>
          </Stack>
        </Form>
      </Card>

      <Card withBorder>
        <Title order={3} size="h4" mb="xs">
          Document signé
        </Title>
        <Stack>
          <DocumentLink href={`/agreements/${a.id}/document`} document={a.document} label="Convention d'application signée (PDF)" />
          <FormAlert error={document && !document.ok ? document.formError : null} success={document?.ok ? document.message : null} />
          <Form method="post" action="?intent=document" encType="multipart/form-data" noValidate>
            <Group align="flex-end">
              <FileField id="agreement-document" name="document" label="PDF signé (10 Mo au plus)" accept={DOCUMENT_ACCEPT} required error={document?.fieldErrors.document?.[0]} />
              <Button type="submit" variant="outline">
                Joindre le PDF
              </Button>
            </Group>
          </Form>
        </Stack>
      </Card>
    </Stack>
  );
}
