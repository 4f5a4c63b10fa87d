import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { Button, Card, Group, PasswordInput, Stack, Table, Text, Title } from "@mantine/core";
import { z } from "zod";
import { actorOf, requireUser } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { changePassword } from "~/server/users/users.server";
import { formFailure, parseForm } from "~/server/http/forms.server";
import { roleLabels } from "~/domain/permissions";
import { FormAlert } from "~/ui/FormAlert";
import { formatDateTime } from "~/domain/format";
import { PASSWORD_MIN_LENGTH } from "~/domain/password-policy";

export const meta: MetaFunction = () => [{ title: "Mon compte — Portail ODPE" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const db = await getDb();
  const row = await db
    .selectFrom("app_user as u")
    .innerJoin("organisation as o", "o.id", "u.organisation_id")
    .select(["u.email", "u.display_name", "u.role", "u.last_login_at", "o.name as organisation_name"])
    .where("u.id", "=", user.id)
    .executeTakeFirstOrThrow();
  return { ...row, roleLabel: roleLabels[row.role] };
}

const schema = z
  .object({
    currentPassword: z.string({ error: "Indiquez votre mot de passe actuel." }).min(1, { error: "Indiquez votre mot de passe actuel." }),
    newPassword: z.string({ error: "Indiquez le nouveau mot de passe." }).min(1, { error: "Indiquez le nouveau mot de passe." }),
    confirmPassword: z.string({ error: "Confirmez le nouveau mot de passe." }),
  })
  .refine((v) => v.newPassword === v.confirmPassword, {
    path: ["confirmPassword"],
    error: "La confirmation ne correspond pas au nouveau mot de passe.",
  });

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requireUser(request);
  try {
    const input = parseForm(schema, await request.formData());
    await changePassword(await getDb(), actorOf(user, context), user.sessionId, input);
    return data({ ok: true as const, formError: null, fieldErrors: {} as Record<string, string[]> });
  } catch (error) {
    return formFailure(error);
  }
}

export default function AccountPage() {
  const account = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const fieldErrors = result?.fieldErrors ?? {};
  return (
    <Stack maw={720}>
      <Title order={2}>Mon compte</Title>
      <Card withBorder>
        <Table>
          <Table.Tbody>
            <Table.Tr>
              <Table.Th scope="row">Nom</Table.Th>
              <Table.Td>{account.display_name}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th scope="row">Adresse e-mail</Table.Th>
              <Table.Td>{account.email}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th scope="row">Organisme</Table.Th>
              <Table.Td>{account.organisation_name}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th scope="row">Rôle</Table.Th>
              <Table.Td>{account.roleLabel}</Table.Td>
            </Table.Tr>
            <Table.Tr>
              <Table.Th scope="row">Dernière connexion</Table.Th>
              <Table.Td>{formatDateTime(account.last_login_at)}</Table.Td>
            </Table.Tr>
          </Table.Tbody>
        </Table>
      </Card>
      <Card withBorder>
        <Title order={3} size="h4" mb="sm">
          Mes données personnelles
        </Title>
        <Stack gap="sm">
          <Text size="sm">
            Téléchargez tout ce que le portail conserve sur vous : votre compte, vos sessions et connexions, vos notifications, les
            courriels qui vous ont été adressés, vos jetons API (sans leur secret), vos actions tracées, vos commentaires et vos
            dépôts. Le téléchargement est tracé dans le journal d'audit. Pour faire effacer votre compte, adressez-vous à
            l'administrateur du portail.
          </Text>
          <Group>
            <Button component="a" href="/account/export" variant="outline">
              Télécharger mes données personnelles (JSON)
            </Button>
          </Group>
        </Stack>
      </Card>
      <Card withBorder>
        <Title order={3} size="h4" mb="sm">
          Changer mon mot de passe
        </Title>
        <Form method="post" noValidate>
          <Stack>
            <FormAlert
              error={result && !result.ok ? result.formError : null}
              success={result?.ok ? "Votre mot de passe a été modifié. Vos autres sessions ont été fermées." : null}
            />
            <PasswordInput label="Mot de passe actuel" name="currentPassword" autoComplete="current-password" required error={fieldErrors.currentPassword?.[0]} />
            <PasswordInput
              label="Nouveau mot de passe"
              name="newPassword"
              autoComplete="new-password"
              required
              description={`Au moins ${PASSWORD_MIN_LENGTH} caractères, sans votre nom ni votre adresse e-mail.`}
              error={fieldErrors.newPassword?.join(" ")}
            />
            <PasswordInput label="Confirmation du nouveau mot de passe" name="confirmPassword" autoComplete="new-password" required error={fieldErrors.confirmPassword?.[0]} />
            <Group>
              <Button type="submit">Enregistrer le nouveau mot de passe</Button>
            </Group>
            <Text size="sm" c="dimmed">
              Le changement ferme vos sessions ouvertes sur d'autres appareils.
            </Text>
          </Stack>
        </Form>
      </Card>
    </Stack>
  );
}
