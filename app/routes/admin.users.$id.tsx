import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { Alert, Anchor, Badge, Button, Card, Code, Group, Stack, Text, Title } from "@mantine/core";
import { z } from "zod";
import { auditContext, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { createPasswordResetLink, getUser, setUserStatus, updateUser } from "~/server/users/users.server";
import { listOrganisationOptions } from "~/server/organisations/organisations.server";
import { formFailure, parseForm } from "~/server/http/forms.server";
import { DomainError } from "~/server/errors.server";
import { RESET_LINK_HOURS, userFormSchema } from "~/domain/users";
import { UserForm } from "~/ui/UserForm";
import { FormAlert } from "~/ui/FormAlert";
import { formatDateTime } from "~/ui/format";

export const meta: MetaFunction = () => [{ title: "Compte utilisateur — Portail ODPE" }];

const idSchema = z.uuid();

async function loadUser(id: string | undefined) {
  const parsed = idSchema.safeParse(id);
  if (!parsed.success) throw new Response("Compte introuvable", { status: 404 });
  try {
    return await getUser(await getDb(), parsed.data);
  } catch (error) {
    if (error instanceof DomainError && error.status === 404) throw new Response(error.message, { status: 404 });
    throw error;
  }
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "read:user");
  const user = await loadUser(params.id);
  return { user, organisations: await listOrganisationOptions(await getDb()) };
}

type ActionResult =
  | { ok: true; intent: string; resetLink?: string; formError: null; fieldErrors: Record<string, string[]> }
  | { ok: false; intent?: string; formError: string; fieldErrors: Record<string, string[]> };

export async function action({ request, params, context }: ActionFunctionArgs) {
  const actor = await requirePermission(request, "update:user");
  const target = await loadUser(params.id);
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "");
  const db = await getDb();
  const audit = auditContext(actor, context);
  try {
    switch (intent) {
      case "save":
        await updateUser(db, audit, target.id, parseForm(userFormSchema, form));
        return data<ActionResult>({ ok: true, intent, formError: null, fieldErrors: {} });
      case "disable":
      case "enable":
        await setUserStatus(db, audit, target.id, intent === "disable" ? "disabled" : "active");
        return data<ActionResult>({ ok: true, intent, formError: null, fieldErrors: {} });
      case "reset-link": {
        const token = await createPasswordResetLink(db, audit, target.id);
        const origin = new URL(request.url).origin;
        return data<ActionResult>({ ok: true, intent, resetLink: `${origin}/reset-password/${token}`, formError: null, fieldErrors: {} });
      }
      default:
        throw new DomainError("validation", "Action inconnue : rechargez la page et réessayez.");
    }
  } catch (error) {
    return formFailure(error);
  }
}

export default function UserPage() {
  const { user, organisations } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionResult | undefined;
  const [params] = useSearchParams();
  return (
    <Stack>
      <Anchor component={Link} to="/admin/users">
        ← Tous les comptes
      </Anchor>
      <Group>
        <Title order={2}>{user.display_name}</Title>
        <Badge color={user.status === "active" ? "green.9" : "gray.8"} variant="filled">
          {user.status === "active" ? "Actif" : "Désactivé"}
        </Badge>
      </Group>
      {params.get("created") && <Alert color="green.9" role="status">Le compte a été créé. Créez un lien d'activation ci-dessous.</Alert>}
      <Text size="sm">
        Créé le {formatDateTime(user.created_at)} — dernière connexion : {formatDateTime(user.last_login_at)}
      </Text>
      <Card withBorder>
        <Title order={3} size="h4" mb="sm">
          Informations du compte
        </Title>
        <UserForm
          organisations={organisations}
          defaults={{ email: user.email, displayName: user.display_name, role: user.role, organisationId: user.organisation_id }}
          result={result?.intent === "save" || (!result?.ok && result) ? result : null}
          submitLabel="Enregistrer"
          successMessage="Le compte a été mis à jour."
        />
      </Card>
      <Card withBorder>
        <Title order={3} size="h4" mb="sm">
          Accès
        </Title>
        <Stack>
          {result?.ok && result.intent === "reset-link" && result.resetLink && (
            <Alert color="green.9" role="status" title={`Lien à usage unique, valable ${RESET_LINK_HOURS} h`}>
              <Text size="sm" mb="xs">
                Transmettez ce lien à la personne par un canal sûr. Il ne sera plus affiché.
              </Text>
              <Code block>{result.resetLink}</Code>
            </Alert>
          )}
          {result?.ok && (result.intent === "disable" || result.intent === "enable") && (
            <FormAlert success={result.intent === "disable" ? "Le compte est désactivé ; ses sessions sont fermées." : "Le compte est réactivé."} />
          )}
          <Group>
            <Form method="post">
              <input type="hidden" name="intent" value="reset-link" />
              <Button type="submit" variant="outline">
                Créer un lien de (ré)initialisation du mot de passe
              </Button>
            </Form>
            <Form method="post">
              <input type="hidden" name="intent" value={user.status === "active" ? "disable" : "enable"} />
              <Button type="submit" color={user.status === "active" ? "red.9" : "green.9"}>
                {user.status === "active" ? "Désactiver le compte" : "Réactiver le compte"}
              </Button>
            </Form>
          </Group>
        </Stack>
      </Card>
    </Stack>
  );
}
