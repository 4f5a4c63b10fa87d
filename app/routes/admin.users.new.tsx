import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { Stack, Text, Title } from "@mantine/core";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { createUser } from "~/server/users/users.server";
import { listOrganisationOptions } from "~/server/organisations/organisations.server";
import { formFailure, parseForm } from "~/server/http/forms.server";
import { userFormSchema } from "~/domain/users";
import { UserForm } from "~/ui/UserForm";

export const meta: MetaFunction = () => [{ title: "Créer un compte — Portail ODPE" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "create:user");
  return { organisations: await listOrganisationOptions(await getDb()) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "create:user");
  let id: string;
  try {
    const input = parseForm(userFormSchema, await request.formData());
    id = await createUser(await getDb(), actorOf(user, context), input);
  } catch (error) {
    return formFailure(error);
  }
  return redirect(`/admin/users/${id}?created=1`);
}

export default function NewUserPage() {
  const { organisations } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <Stack>
      <Title order={2}>Créer un compte</Title>
      <Text>Le compte est créé sans mot de passe : créez ensuite un lien d'activation à transmettre à la personne.</Text>
      <UserForm organisations={organisations} result={result ?? null} submitLabel="Créer le compte" />
    </Stack>
  );
}
