import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { Alert, Anchor, Button, Card, Group, Select, SimpleGrid, Stack, Table, Text, TextInput, Textarea, Title } from "@mantine/core";
import { z } from "zod";
import { actorOf, requirePermission, userCan } from "~/server/auth/authorize.server";
import { actorMay } from "~/server/command.server";
import { getDb } from "~/server/runtime.server";
import {
  addContact,
  cancelWithdrawal,
  getOrganisation,
  recordMembership,
  recordWithdrawal,
  removeContact,
  removeOrganisationLogo,
  setOrganisationLogo,
  organisationCommandPermissions,
  updateOrganisation,
} from "~/server/organisations/organisations.server";
import { agreementsForOrganisation } from "~/server/agreements/agreements.server";
import { parseForm } from "~/server/http/forms.server";
import { readUploadForm, uploadedFile } from "~/server/http/uploads.server";
import { intentFailure, intentSuccess, orNotFound, unknownIntent, type IntentResult } from "~/server/http/results.server";
import { DomainError, forbidden } from "~/server/errors.server";
import { contactFormSchema, membershipFormSchema, organisationFormSchema, organisationKindLabels, withdrawalFormSchema, WITHDRAWAL_NOTICE_MONTHS } from "~/domain/organisations";
import { LOGO_ACCEPT, LOGO_MAX_BYTES, formatBytes } from "~/domain/files";
import { todayIso } from "~/domain/dates";
import { OrganisationForm } from "~/ui/OrganisationForm";
import { FormAlert } from "~/ui/FormAlert";
import { FileField, MembershipBadge, membershipSentence } from "~/ui/referential";
import { formatDate } from "~/domain/format";
import { pageNotFound } from "~/server/http/params.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.organisation.name ?? "Organisme"} — Portail ODPE` }];

const idSchema = z.uuid();
const orgId = (id: string | undefined) => {
  const parsed = idSchema.safeParse(id);
  if (!parsed.success) throw pageNotFound("Organisme introuvable");
  return parsed.data;
};

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:organisation");
  const id = orgId(params.id);
  const db = await getDb();
  const today = todayIso();
  const organisation = await orNotFound(() => getOrganisation(db, id, today));
  const canReadAgreement = userCan(user, "read:agreement", id);
  const [amendments, agreements] = await Promise.all([
    db.selectFrom("amendment").select(["id", "number", "signed_on", "title"]).where("kind", "=", "new_partner").orderBy("number").execute(),
    canReadAgreement ? agreementsForOrganisation(db, id, today) : Promise.resolve(null),
  ]);
  return {
    organisation,
    amendments,
    agreements: agreements?.map((a) => ({ id: a.id, reference: a.reference, starts_on: a.starts_on, ends_on: a.ends_on, inForce: a.inForce, indicatorCount: a.indicators.length })) ?? null,
    today,
    can: {
      manage: userCan(user, "manage:organisation"),
      membership: userCan(user, "manage:membership"),
      agreements: userCan(user, "manage:agreement"),
      export: userCan(user, "export:organisation_data", id),
    },
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const id = orgId(params.id);
  const intent = new URL(request.url).searchParams.get("intent") ?? "";
  // The page's guard; each command checks its own permission (ADR 034).
  const user = await requirePermission(request, "read:organisation");
  const db = await getDb();
  const actor = actorOf(user, context);
  /** Refuses before reading the form: a user without the command's permission gets 403, not the form's errors. */
  const formFor = async (command: keyof typeof organisationCommandPermissions) => {
    if (!actorMay(actor, organisationCommandPermissions[command], id)) throw forbidden();
    return readUploadForm(request, LOGO_MAX_BYTES);
  };
  try {
    switch (intent) {
      case "identity": {
        const { code: _code, ...input } = parseForm(organisationFormSchema, await formFor("updateOrganisation"));
        await updateOrganisation(db, actor, id, input);
        return intentSuccess(intent, "L'organisme a été mis à jour.");
      }
      case "logo": {
        const upload = await uploadedFile(await formFor("setOrganisationLogo"), "logo");
        if (!upload) throw new DomainError("validation", "Choisissez le fichier du logo.", { logo: ["Choisissez un fichier PNG, JPEG ou WebP."] });
        await setOrganisationLogo(db, actor, id, upload);
        return intentSuccess(intent, "Le logo a été enregistré.");
      }
      case "logo-remove":
        await removeOrganisationLogo(db, actor, id);
        return intentSuccess(intent, "Le logo a été retiré.");
      case "contact-add":
        await addContact(db, actor, id, parseForm(contactFormSchema, await formFor("addContact")));
        return intentSuccess(intent, "Le contact a été ajouté.");
      case "contact-remove": {
        const { contactId } = parseForm(z.object({ contactId: z.uuid({ error: "Contact inconnu." }) }), await formFor("removeContact"));
        await removeContact(db, actor, id, contactId);
        return intentSuccess(intent, "Le contact a été retiré.");
      }
      case "membership":
        await recordMembership(db, actor, id, parseForm(membershipFormSchema, await formFor("recordMembership")));
        return intentSuccess(intent, "L'adhésion a été enregistrée.");
      case "withdrawal": {
        const { effectiveDate } = await recordWithdrawal(db, actor, id, parseForm(withdrawalFormSchema, await formFor("recordWithdrawal")));
        return intentSuccess(intent, `Le retrait est enregistré : il prendra effet le ${formatDate(effectiveDate)} (art. 7).`);
      }
      case "withdrawal-cancel":
        await cancelWithdrawal(db, actor, id);
        return intentSuccess(intent, "Le retrait a été annulé.");
      default:
        throw unknownIntent();
    }
  } catch (error) {
    return intentFailure(intent, error);
  }
}

function resultFor(result: IntentResult | undefined, ...intents: string[]) {
  return result && intents.includes(result.intent) ? result : null;
}

export default function OrganisationPage() {
  const { organisation: o, amendments, agreements, can } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as IntentResult | undefined;
  const [params] = useSearchParams();
  const membership = resultFor(result, "membership", "withdrawal", "withdrawal-cancel");
  const logo = resultFor(result, "logo", "logo-remove");
  const contacts = resultFor(result, "contact-add", "contact-remove");
  const identity = resultFor(result, "identity");
  return (
    <Stack maw={1100}>
      <Anchor component={Link} to="/organisations">
        ← Tous les organismes
      </Anchor>
      <Group>
        {o.logo && <img src={`/organisations/${o.id}/logo?v=${o.logo.sha256.slice(0, 8)}`} alt={`Logo de ${o.name}`} height={56} style={{ maxWidth: 160, objectFit: "contain" }} />}
        <Title order={2}>{o.name}</Title>
        <MembershipBadge status={o.status} />
      </Group>
      {params.get("created") && (
        <Alert color="green.9" role="status">
          L'organisme est créé. Enregistrez maintenant son adhésion (date et texte).
        </Alert>
      )}
      <Text>
        {o.code} — {organisationKindLabels[o.kind as keyof typeof organisationKindLabels] ?? o.kind}
        {o.note ? ` — ${o.note}` : ""}
      </Text>

      <Card withBorder>
        <Title order={3} size="h4" mb="xs">
          Adhésion à la convention (art. 7)
        </Title>
        <Stack>
          <Text>{membershipSentence(o)}.</Text>
          {o.status === "withdrawn" && (
            <Alert color="red.9" title="Organisme retiré">
              Depuis le {formatDate(o.withdrawal_effective_date)}, l'organisme ne transmet plus de données et ses utilisateurs
              ne peuvent plus qu'exporter ses données. Les données déjà transmises restent sa propriété (art. 5 et 6) : elles
              restent utilisables au sein de l'observatoire et toute diffusion externe demande toujours son accord.
            </Alert>
          )}
          {o.status === "withdrawal_notified" && (
            <Alert color="orange.9" title="Retrait notifié">
              Le retrait prendra effet le {formatDate(o.withdrawal_effective_date)}, {WITHDRAWAL_NOTICE_MONTHS} mois après la lettre
              recommandée du {formatDate(o.withdrawal_notice_date)}. D'ici là, l'organisme reste membre et transmet ses données.
            </Alert>
          )}
          <FormAlert error={membership && !membership.ok ? membership.formError : null} success={membership?.ok ? membership.message : null} />
          {can.membership && !o.is_observatory_team && (
            <SimpleGrid cols={{ base: 1, md: 2 }}>
              {(o.status === "not_member" || o.status === "withdrawn" || o.status === "member") && (
                <Form method="post" action="?intent=membership" noValidate>
                  <Stack>
                    <Text fw={600}>Enregistrer l'adhésion</Text>
                    <TextInput
                      type="date"
                      label="Membre depuis le"
                      name="memberSince"
                      required
                      defaultValue={o.status === "member" ? (o.member_since ?? "") : ""}
                      error={membership?.intent === "membership" ? membership.fieldErrors.memberSince?.[0] : undefined}
                    />
                    <Select
                      label="Texte qui le fait membre"
                      name="joinedBy"
                      required
                      defaultValue={o.status === "withdrawn" ? null : (o.joined_amendment_id ?? "convention")}
                      data={[
                        ...(o.status === "withdrawn" ? [] : [{ value: "convention", label: "Convention-cadre (signataire d'origine)" }]),
                        ...amendments.map((a) => ({ value: a.id, label: `Avenant n° ${a.number} du ${formatDate(a.signed_on)} — ${a.title}` })),
                      ]}
                      error={membership?.intent === "membership" ? membership.fieldErrors.joinedBy?.[0] : undefined}
                    />
                    <Group>
                      <Button type="submit" variant="outline">
                        Enregistrer l'adhésion
                      </Button>
                    </Group>
                  </Stack>
                </Form>
              )}
              {o.status === "member" && (
                <Form method="post" action="?intent=withdrawal" noValidate>
                  <Stack>
                    <Text fw={600}>Notifier un retrait</Text>
                    <TextInput
                      type="date"
                      label="Date de la lettre recommandée"
                      name="noticeDate"
                      required
                      description={`Le retrait prend effet ${WITHDRAWAL_NOTICE_MONTHS} mois plus tard.`}
                      error={membership?.intent === "withdrawal" ? membership.fieldErrors.noticeDate?.[0] : undefined}
                    />
                    <Textarea label="Note (référence du courrier…)" name="note" autosize minRows={1} />
                    <Group>
                      <Button type="submit" color="red.9">
                        Enregistrer le retrait
                      </Button>
                    </Group>
                  </Stack>
                </Form>
              )}
              {o.status === "withdrawal_notified" && (
                <Form method="post" action="?intent=withdrawal-cancel">
                  <Button type="submit" variant="outline">
                    Annuler le retrait (avant sa prise d'effet)
                  </Button>
                </Form>
              )}
            </SimpleGrid>
          )}
        </Stack>
      </Card>

      {agreements && (
        <Card withBorder>
          <Title order={3} size="h4" mb="xs">
            Convention d'application (art. 4)
          </Title>
          {agreements.length === 0 ? (
            <Group>
              <Text>Aucune convention d'application.</Text>
              {can.agreements && (
                <Button component={Link} to={`/agreements/new?organisation=${o.id}`} variant="outline" size="xs">
                  Créer la convention d'application
                </Button>
              )}
            </Group>
          ) : (
            <Stack gap="xs">
              {agreements.map((a) => (
                <Text key={a.id}>
                  <Anchor component={Link} to={can.agreements ? `/agreements/${a.id}` : "/my-agreement"}>
                    {a.reference ?? "Convention d'application"}
                  </Anchor>{" "}
                  — du {formatDate(a.starts_on)}
                  {a.ends_on ? ` au ${formatDate(a.ends_on)}` : " (sans date de fin)"} — {a.indicatorCount} indicateur(s)
                  {a.inForce ? " — en vigueur" : ""}
                </Text>
              ))}
            </Stack>
          )}
        </Card>
      )}

      <Card withBorder>
        <Title order={3} size="h4" mb="xs">
          Contacts
        </Title>
        <Stack>
          <FormAlert error={contacts && !contacts.ok ? contacts.formError : null} success={contacts?.ok ? contacts.message : null} />
          {o.contacts.length === 0 ? (
            <Text>Aucun contact enregistré.</Text>
          ) : (
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Nom</Table.Th>
                  <Table.Th scope="col">Fonction</Table.Th>
                  <Table.Th scope="col">E-mail</Table.Th>
                  <Table.Th scope="col">Téléphone</Table.Th>
                  {can.manage && <Table.Th scope="col">Action</Table.Th>}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {o.contacts.map((c) => (
                  <Table.Tr key={c.id}>
                    <Table.Td>{c.name}</Table.Td>
                    <Table.Td>{c.job_title ?? "—"}</Table.Td>
                    <Table.Td>{c.email ? <Anchor href={`mailto:${c.email}`}>{c.email}</Anchor> : "—"}</Table.Td>
                    <Table.Td>{c.phone ?? "—"}</Table.Td>
                    {can.manage && (
                      <Table.Td>
                        <Form method="post" action="?intent=contact-remove">
                          <input type="hidden" name="contactId" value={c.id} />
                          <Button type="submit" variant="subtle" color="red.9" size="xs" aria-label={`Retirer le contact ${c.name}`}>
                            Retirer
                          </Button>
                        </Form>
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
          {can.manage && (
            <Form method="post" action="?intent=contact-add" noValidate>
              <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
                <TextInput label="Nom du contact" name="name" required error={contacts?.intent === "contact-add" ? contacts.fieldErrors.name?.[0] : undefined} />
                <TextInput label="Fonction" name="jobTitle" error={contacts?.intent === "contact-add" ? contacts.fieldErrors.jobTitle?.[0] : undefined} />
                <TextInput label="E-mail du contact" name="email" type="email" error={contacts?.intent === "contact-add" ? contacts.fieldErrors.email?.[0] : undefined} />
                <TextInput label="Téléphone" name="phone" type="tel" error={contacts?.intent === "contact-add" ? contacts.fieldErrors.phone?.[0] : undefined} />
              </SimpleGrid>
              <Button type="submit" variant="outline" mt="sm">
                Ajouter le contact
              </Button>
            </Form>
          )}
        </Stack>
      </Card>

      {can.manage && (
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <Card withBorder>
            <Title order={3} size="h4" mb="xs">
              Identité
            </Title>
            <OrganisationForm action="?intent=identity" defaults={o} result={identity} submitLabel="Enregistrer" codeLocked />
          </Card>
          <Card withBorder>
            <Title order={3} size="h4" mb="xs">
              Logo
            </Title>
            <Stack>
              <Text size="sm">
                Le logo accompagne la mention de l'organisme dans le tableau de bord annuel (art. 5). PNG, JPEG ou WebP,{" "}
                {formatBytes(LOGO_MAX_BYTES)} au plus ; le SVG est refusé.
              </Text>
              <FormAlert error={logo && !logo.ok ? logo.formError : null} success={logo?.ok ? logo.message : null} />
              <Form method="post" action="?intent=logo" encType="multipart/form-data" noValidate>
                <Stack>
                  <FileField id="logo" name="logo" label="Fichier du logo" accept={LOGO_ACCEPT} required error={logo?.intent === "logo" ? logo.fieldErrors.logo?.[0] : undefined} />
                  <Group>
                    <Button type="submit" variant="outline">
                      Envoyer le logo
                    </Button>
                  </Group>
                </Stack>
              </Form>
              {o.logo && (
                <Form method="post" action="?intent=logo-remove">
                  <Button type="submit" variant="subtle" color="red.9">
                    Retirer le logo
                  </Button>
                </Form>
              )}
            </Stack>
          </Card>
        </SimpleGrid>
      )}

      {can.export && (
        <Text>
          <Anchor href={`/organisations/${o.id}/export`}>Exporter les données de l'organisme (JSON)</Anchor>
        </Text>
      )}
    </Stack>
  );
}
