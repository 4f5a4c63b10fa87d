import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";
import { Alert, Anchor, Badge, Button, Card, Code, Group, Stack, Text, TextInput, Title } from "@mantine/core";
import { z } from "zod";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { createPasswordResetLink, getUser, setUserStatus, updateUser } from "~/server/users/users.server";
import { eraseAccount } from "~/server/personal-data/erasure.server";
import { ANY_ORGANISATION } from "~/domain/permissions";
import { listOrganisationOptions } from "~/server/organisations/organisations.server";
import { parseForm } from "~/server/http/forms.server";
import { intentFailure, orNotFound, unknownIntent } from "~/server/http/results.server";
import { RESET_LINK_HOURS, userFormSchema } from "~/domain/users";
import { UserForm } from "~/ui/UserForm";
import { FormAlert } from "~/ui/FormAlert";
import { formatDateTime } from "~/domain/format";
import { pageNotFound } from "~/server/http/params.server";

export const meta: MetaFunction = () => [{ title: "Compte utilisateur — Portail ODPE" }];

const idSchema = z.uuid();

async function loadUser(id: string | undefined) {
  const parsed = idSchema.safeParse(id);
  if (!parsed.success) throw pageNotFound("Compte introuvable");
  return orNotFound(async () => getUser(await getDb(), parsed.data));
}

export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "read:user");
  const user = await loadUser(params.id);
  return { user, organisations: await listOrganisationOptions(await getDb()) };
}

const eraseSchema = z.object({
  confirmEmail: z
    .string({ error: "Saisissez l'adresse e-mail du compte pour confirmer l'effacement." })
    .trim()
    .min(1, { error: "Saisissez l'adresse e-mail du compte pour confirmer l'effacement." }),
});

type ActionResult =
  | { ok: true; intent: string; resetLink?: string; pseudonym?: string; formError: null; fieldErrors: Record<string, string[]> }
  | { ok: false; intent?: string; formError: string; fieldErrors: Record<string, string[]> };

export async function action({ request, params, context }: ActionFunctionArgs) {
  const admin = await requirePermission(request, "update:user");
  const target = await loadUser(params.id);
  const form = await request.formData();
  const intent = String(form.get("intent") ?? "");
  const db = await getDb();
  const actor = actorOf(admin, context);
  try {
    switch (intent) {
      case "save":
        await updateUser(db, actor, target.id, parseForm(userFormSchema, form));
        return data<ActionResult>({ ok: true, intent, formError: null, fieldErrors: {} });
      case "disable":
      case "enable":
        await setUserStatus(db, actor, target.id, intent === "disable" ? "disabled" : "active");
        return data<ActionResult>({ ok: true, intent, formError: null, fieldErrors: {} });
      case "reset-link": {
        const token = await createPasswordResetLink(db, actor, target.id);
        const origin = new URL(request.url).origin;
        return data<ActionResult>({ ok: true, intent, resetLink: `${origin}/reset-password/${token}`, formError: null, fieldErrors: {} });
      }
      case "erase": {
        // GDPR art. 17 (ADR 012): its own permission, on top of managing accounts.
        await requirePermission(request, "erase:account", ANY_ORGANISATION);
        const erased = await eraseAccount(db, actor, target.id, parseForm(eraseSchema, form));
        return data<ActionResult>({ ok: true, intent, pseudonym: erased.pseudonym, formError: null, fieldErrors: {} });
      }
      default:
        throw unknownIntent();
    }
  } catch (error) {
    // The intent tells the page which form the error belongs to.
    return intentFailure(intent, error);
  }
}

export default function UserPage() {
  const { user, organisations } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionResult | undefined;
  const [params] = useSearchParams();
  const erased = user.erased_at !== null;
  const [confirmDisable, setConfirmDisable] = useState(false);
  const erasedAlert = useRef<HTMLDivElement>(null);
  const justErased = !!(result?.ok && result.intent === "erase");
  useEffect(() => {
    // The erasure form is gone from the page: take keyboard and screen-reader users to what happened.
    if (justErased) erasedAlert.current?.focus();
  }, [justErased]);
  useEffect(() => setConfirmDisable(false), [user.status]);
  return (
    <Stack>
      <Anchor component={Link} to="/admin/users">
        ← Tous les comptes
      </Anchor>
      <Group>
        <Title order={2}>{user.display_name}</Title>
        <Badge color={user.status === "active" ? "green.9" : "gray.8"} variant="filled">
          {user.status === "active" ? "Actif" : user.erased_at ? "Effacé (RGPD)" : "Désactivé"}
        </Badge>
      </Group>
      {params.get("created") && <Alert color="green.9" role="status">Le compte a été créé. Créez un lien d'activation ci-dessous.</Alert>}
      {justErased && (
        <Alert ref={erasedAlert} tabIndex={-1} color="green.9" role="status" title="Compte effacé">
          Le nom et l'adresse e-mail sont remplacés par « {result.pseudonym} ». Sessions, jetons, liens et notifications sont supprimés ;
          ses contributions restent à son organisme.
        </Alert>
      )}
      {erased && !(result?.ok && result.intent === "erase") && (
        <Alert color="gray.8" role="status" title="Compte effacé (RGPD)">
          Effacé le {formatDateTime(user.erased_at)}. Ce pseudonyme ne peut plus être modifié ni réactivé.
        </Alert>
      )}
      <Text size="sm">
        Créé le {formatDateTime(user.created_at)} — dernière connexion : {formatDateTime(user.last_login_at)}
      </Text>
      {!erased && (
        <Card withBorder>
          <Title order={3} size="h4" mb="sm">
            Informations du compte
          </Title>
          <UserForm
            organisations={organisations}
            defaults={{ email: user.email, displayName: user.display_name, role: user.role, organisationId: user.organisation_id }}
            result={result?.intent === "save" || (!result?.ok && result && result.intent !== "erase") ? result : null}
            submitLabel="Enregistrer"
            successMessage="Le compte a été mis à jour."
          />
        </Card>
      )}
      {!erased && (
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
              {user.status === "active" ? (
                !confirmDisable && (
                  <Button color="red.9" onClick={() => setConfirmDisable(true)}>
                    Désactiver le compte…
                  </Button>
                )
              ) : (
                <Form method="post">
                  <input type="hidden" name="intent" value="enable" />
                  <Button type="submit" color="green.9">
                    Réactiver le compte
                  </Button>
                </Form>
              )}
            </Group>
            {confirmDisable && user.status === "active" && (
              <Alert color="red.9" title="Désactiver ce compte ?">
                <Text size="sm" mb="sm">
                  La personne ne pourra plus se connecter et ses sessions ouvertes seront fermées. Vous pourrez réactiver le
                  compte plus tard.
                </Text>
                <Form method="post">
                  <input type="hidden" name="intent" value="disable" />
                  <Group>
                    <Button type="submit" color="red.9" data-autofocus>
                      Confirmer la désactivation
                    </Button>
                    <Button variant="default" onClick={() => setConfirmDisable(false)}>
                      Annuler
                    </Button>
                  </Group>
                </Form>
              </Alert>
            )}
          </Stack>
        </Card>
      )}
      <Card withBorder>
        <Title order={3} size="h4" mb="sm">
          Données personnelles (RGPD)
        </Title>
        <Stack>
          <Text size="sm">
            L'export contient tout ce que le portail conserve sur cette personne (compte, sessions, connexions, notifications,
            courriels, jetons API, actions tracées, commentaires, dépôts), sans aucun secret. Il est tracé dans le journal d'audit.
          </Text>
          <Group>
            <Button component="a" href={`/admin/users/${user.id}/export`} variant="outline">
              Exporter ses données personnelles (JSON)
            </Button>
          </Group>
          {!erased && (
            <Form method="post" noValidate>
              <Stack>
                <input type="hidden" name="intent" value="erase" />
                <Text size="sm">
                  L'effacement est définitif : la personne ne peut plus se connecter ; sessions, jetons API, liens et notifications
                  sont supprimés ; son nom et son adresse sont remplacés par un pseudonyme, y compris dans le journal d'audit. Les
                  données déposées restent à son organisme (convention, art. 5 et 6).
                </Text>
                {result && !result.ok && result.intent === "erase" && <FormAlert error={result.formError} />}
                <TextInput
                  label="Pour confirmer, saisissez à nouveau l'adresse e-mail du compte"
                  description={`Adresse attendue : ${user.email}`}
                  name="confirmEmail"
                  autoComplete="off"
                  required
                  error={result && !result.ok && result.intent === "erase" ? result.fieldErrors.confirmEmail?.[0] : undefined}
                />
                <Group>
                  <Button type="submit" color="red.9">
                    Effacer définitivement le compte
                  </Button>
                </Group>
              </Stack>
            </Form>
          )}
        </Stack>
      </Card>
    </Stack>
  );
}
