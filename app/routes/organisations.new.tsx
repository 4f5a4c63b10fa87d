import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Link, useActionData } from "@remix-run/react";
import { Anchor, Stack, Text, Title } from "@mantine/core";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { createOrganisation } from "~/server/organisations/organisations.server";
import { formFailure, parseForm } from "~/server/http/forms.server";
import { organisationFormSchema } from "~/domain/organisations";
import { OrganisationForm } from "~/ui/OrganisationForm";

export const meta: MetaFunction = () => [{ title: "Ajouter un organisme — Portail ODPE" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "manage:organisation");
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "manage:organisation");
  let id: string;
  try {
    const input = parseForm(organisationFormSchema, await request.formData());
    id = await createOrganisation(await getDb(), actorOf(user, context), input);
  } catch (error) {
    return formFailure(error);
  }
  return redirect(`/organisations/${id}?created=1`);
}

export default function NewOrganisationPage() {
  const result = useActionData<typeof action>();
  return (
    <Stack>
      <Anchor component={Link} to="/organisations">
        ← Tous les organismes
      </Anchor>
      <Title order={2}>Ajouter un organisme</Title>
      <Text>
        L'organisme est créé sans adhésion : enregistrez ensuite la date et le texte qui le font membre (convention-cadre ou
        avenant d'adhésion, art. 7).
      </Text>
      <OrganisationForm result={result ? { ...result, message: null } : null} submitLabel="Créer l'organisme" />
    </Stack>
  );
}
