import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { Anchor, Select, Stack, Text, Title } from "@mantine/core";
import { z } from "zod";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { createAgreement } from "~/server/agreements/agreements.server";
import { listOrganisations } from "~/server/organisations/organisations.server";
import { getConvention } from "~/server/convention/convention.server";
import { formFailure, parseForm } from "~/server/http/forms.server";
import { agreementFormSchema } from "~/domain/agreement-forms";
import { todayIso } from "~/domain/dates";
import { AgreementForm } from "~/ui/AgreementForm";

export const meta: MetaFunction = () => [{ title: "Nouvelle convention d'application — Portail ODPE" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "manage:agreement");
  const db = await getDb();
  const [organisations, convention] = await Promise.all([listOrganisations(db, todayIso()), getConvention(db)]);
  const preselected = new URL(request.url).searchParams.get("organisation");
  return {
    organisations: organisations
      .filter((o) => !o.is_observatory_team && o.status !== "withdrawn")
      .map((o) => ({ value: o.id, label: `${o.code} — ${o.name}` })),
    preselected: preselected && organisations.some((o) => o.id === preselected) ? preselected : null,
    startsOn: convention?.signature_date ?? todayIso(),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "manage:agreement");
  let id: string;
  try {
    const form = await request.formData();
    const { organisationId } = parseForm(z.object({ organisationId: z.uuid({ error: "Choisissez l'organisme." }) }), form);
    id = await createAgreement(await getDb(), actorOf(user, context), organisationId, parseForm(agreementFormSchema, form));
  } catch (error) {
    return formFailure(error);
  }
  return redirect(`/agreements/${id}?created=1`);
}

export default function NewAgreementPage() {
  const { organisations, preselected, startsOn } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <Stack maw={860}>
      <Anchor component={Link} to="/agreements">
        ← Conventions d'application
      </Anchor>
      <Title order={2}>Nouvelle convention d'application</Title>
      <Text>
        La convention reprend les indicateurs que le catalogue attribue à l'organisme, chacun avec le droit d'usage par défaut :
        diffusion externe sur accord de l'organisme (art. 5). Vous les ajusterez ensuite.
      </Text>
      <AgreementForm
        result={result ? { ...result, message: null } : null}
        submitLabel="Créer la convention d'application"
        defaults={{
          reference: null,
          signed_on: null,
          starts_on: startsOn,
          ends_on: null,
          format: "excel",
          statistical_level: "departement",
          due_month_day: null,
          same_person_may_validate: false,
          note: null,
        }}
      >
        <Select
          label="Organisme"
          name="organisationId"
          required
          searchable
          defaultValue={preselected}
          data={organisations}
          error={result?.fieldErrors.organisationId?.[0]}
          nothingFoundMessage="Aucun organisme ne correspond"
        />
      </AgreementForm>
    </Stack>
  );
}
