import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Anchor, Button, Card, Group, Select, Stack, Text, Textarea, Title } from "@mantine/core";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { addDecision, getMeeting, listDecisionSubjects, setMinutes } from "~/server/governance/governance.server";
import { readUploadForm, uploadedFile } from "~/server/http/uploads.server";
import { formFailure, parseForm } from "~/server/http/forms.server";
import { orNotFound } from "~/server/http/results.server";
import { can } from "~/domain/permissions";
import { decisionFormSchema, decisionSubjectLabels, decisionSubjectTypes, decisionSubjectValue } from "~/domain/governance";
import { DOCUMENT_MAX_BYTES } from "~/domain/files";
import { FormAlert } from "~/ui/FormAlert";
import { FileField } from "~/ui/referential";
import { formatDate } from "~/domain/format";
import { requireParam } from "~/server/http/params.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data ? `${data.meeting.body_name}, ${formatDate(data.meeting.held_on)}` : "Réunion"} — Portail ODPE` },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:governance");
  const id = requireParam(params, "id", "uuid", "Réunion introuvable");
  const db = await getDb();
  const meeting = await orNotFound(() => getMeeting(db, id));
  const manage = can(user, "manage:governance");
  const subjects = manage ? await listDecisionSubjects(db) : [];
  return {
    meeting,
    manage,
    subjects: decisionSubjectTypes.map((type) => ({
      group: decisionSubjectLabels[type],
      items: subjects.filter((s) => s.type === type).map((s) => ({ value: decisionSubjectValue(s.type, s.id), label: s.label })),
    })).filter((g) => g.items.length > 0),
  };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "manage:governance");
  const id = requireParam(params, "id", "uuid", "Réunion introuvable");
  const db = await getDb();
  try {
    if (new URL(request.url).searchParams.get("intent") === "minutes") {
      const form = await readUploadForm(request, DOCUMENT_MAX_BYTES);
      await setMinutes(db, actorOf(user, context), id, await uploadedFile(form, "minutes"));
      return { ok: true as const, message: "Le compte rendu a été déposé." };
    }
    const form = await request.formData();
    const [subjectType, subjectId] = String(form.get("subject") ?? "").split(":");
    form.set("subjectType", subjectType ?? "");
    form.set("subjectId", subjectId ?? "");
    await addDecision(db, actorOf(user, context), id, parseForm(decisionFormSchema, form));
    return { ok: true as const, message: "La décision a été enregistrée." };
  } catch (error) {
    return formFailure(error);
  }
}

export default function MeetingPage() {
  const { meeting, manage, subjects } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const errors = result && !result.ok ? result.fieldErrors : {};
  return (
    <Stack maw={960}>
      <Anchor component={Link} to="/governance">
        ← Instances de gouvernance
      </Anchor>
      <Title order={2}>
        {meeting.body_name} du {formatDate(meeting.held_on)}
      </Title>
      <Text fw={500}>{meeting.title}</Text>
      <FormAlert error={result && !result.ok ? result.formError : null} success={result?.ok ? result.message : null} />
      <Card withBorder component="section" aria-labelledby="ordre-du-jour">
        <Title order={3} size="h4" id="ordre-du-jour" mb="xs">
          Ordre du jour
        </Title>
        <Text style={{ whiteSpace: "pre-wrap" }}>{meeting.agenda}</Text>
      </Card>
      <Card withBorder component="section" aria-labelledby="compte-rendu">
        <Title order={3} size="h4" id="compte-rendu" mb="xs">
          Compte rendu
        </Title>
        {meeting.minutes_file_id ? (
          <Anchor href={`/governance/meetings/${meeting.id}/minutes`}>Télécharger le compte rendu ({meeting.minutes_filename})</Anchor>
        ) : (
          <Text size="sm">Le compte rendu n'a pas encore été déposé.</Text>
        )}
        {manage && (
          <Form method="post" action="?intent=minutes" encType="multipart/form-data">
            <Stack mt="sm" maw={520}>
              <FileField
                id="minutes"
                name="minutes"
                label={meeting.minutes_file_id ? "Remplacer le compte rendu (PDF)" : "Déposer le compte rendu (PDF)"}
                accept="application/pdf,.pdf"
                description={`PDF, ${Math.round(DOCUMENT_MAX_BYTES / 1024 / 1024)} Mo au plus.`}
                required
                error={errors.minutes?.[0]}
              />
              <Group>
                <Button type="submit">Déposer</Button>
              </Group>
            </Stack>
          </Form>
        )}
      </Card>
      <Card withBorder component="section" aria-labelledby="decisions">
        <Title order={3} size="h4" id="decisions" mb="xs">
          Décisions
        </Title>
        {meeting.decisions.length === 0 ? (
          <Text size="sm">Aucune décision enregistrée.</Text>
        ) : (
          <Stack gap="xs" component="ol" style={{ paddingInlineStart: "1.2rem" }}>
            {meeting.decisions.map((d) => (
              <li key={d.id} value={d.number}>
                <Text>{d.text}</Text>
                {d.subject && (
                  <Text size="sm" c="dimmed">
                    {d.subject.typeLabel} :{" "}
                    {d.subject.href ? (
                      <Anchor component={Link} to={d.subject.href}>
                        {d.subject.label}
                      </Anchor>
                    ) : (
                      "document supprimé"
                    )}
                  </Text>
                )}
              </li>
            ))}
          </Stack>
        )}
        {manage && (
          <Form method="post" noValidate>
            <Stack mt="md" maw={640}>
              <Textarea label="Texte de la décision" name="text" required autosize minRows={2} error={errors.text?.[0]} />
              <Select
                label="Document concerné (facultatif)"
                description="Par exemple l'édition du tableau de bord adoptée, l'avenant approuvé ou la publication dont la diffusion est décidée."
                name="subject"
                clearable
                searchable
                data={subjects}
                error={errors.subjectId?.[0] ?? errors.subjectType?.[0]}
              />
              <Group>
                <Button type="submit">Enregistrer la décision</Button>
              </Group>
            </Stack>
          </Form>
        )}
      </Card>
    </Stack>
  );
}
