import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Alert, Anchor, Badge, Button, Card, Code, CopyButton, Group, List, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { getEnv } from "~/server/env.server";
import { createApiToken, listApiTokens, revokeApiToken } from "~/server/api/tokens.server";
import { parseForm } from "~/server/http/forms.server";
import { intentFailure, intentSuccess, unknownIntent, type IntentResult } from "~/server/http/results.server";
import { apiTokenFormSchema, apiTokenRevokeSchema, MAX_ACTIVE_TOKENS_PER_ORGANISATION } from "~/domain/api-tokens";
import { FormAlert } from "~/ui/FormAlert";
import { TableScroll } from "~/ui/TableScroll";
import { formatDateTime } from "~/domain/format";

export const meta: MetaFunction = () => [{ title: "Accès API — Portail ODPE" }];

/** "Accès API": a correspondent manages its organisation's tokens for the partner API (ADR 008). */
export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "manage:api_token");
  const db = await getDb();
  const [organisation, tokens] = await Promise.all([
    db.selectFrom("organisation").select(["code", "name"]).where("id", "=", user.organisationId).executeTakeFirstOrThrow(),
    listApiTokens(db, user.organisationId),
  ]);
  return { organisation, tokens, ratePerMinute: getEnv().API_RATE_LIMIT_PER_MINUTE, apiBase: `${new URL(request.url).origin}/api/v1` };
}

type ActionResult = IntentResult & { token?: { name: string; secret: string } };

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "manage:api_token");
  const intent = new URL(request.url).searchParams.get("intent") ?? "";
  const db = await getDb();
  const actor = actorOf(user, context);
  try {
    const form = await request.formData();
    switch (intent) {
      case "create": {
        const { name } = parseForm(apiTokenFormSchema, form);
        const created = await createApiToken(db, actor, { organisationId: user.organisationId, name, createdBy: user.id });
        const result: ActionResult = { ok: true, intent, message: null, formError: null, fieldErrors: {}, token: { name: created.name, secret: created.token } };
        // The secret is in this answer only: never cached, never shown again.
        return data(result, { headers: { "Cache-Control": "no-store" } });
      }
      case "revoke": {
        const { tokenId } = parseForm(apiTokenRevokeSchema, form);
        await revokeApiToken(db, actor, { organisationId: user.organisationId, tokenId, revokedBy: user.id });
        return intentSuccess(intent, "Le jeton est révoqué : il ne donne plus accès à l'API.");
      }
      default:
        throw unknownIntent();
    }
  } catch (error) {
    return intentFailure(intent, error);
  }
}

export default function ApiTokensPage() {
  const { organisation, tokens, ratePerMinute, apiBase } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as ActionResult | undefined;
  const navigation = useNavigation();
  const creating = navigation.state === "submitting" && navigation.formAction?.includes("intent=create");
  const create = result?.intent === "create" ? result : null;
  const revoke = result?.intent === "revoke" ? result : null;
  const active = tokens.filter((t) => !t.revoked_at).length;
  return (
    <Stack maw={1100}>
      <Title order={2}>Accès API</Title>
      <Text>
        Un jeton permet au système d'information de {organisation.name} ({organisation.code}) de déposer ses tableaux annuels sans passer par ce site :
        lister les campagnes, télécharger le modèle Excel, déposer un classeur, consulter ses erreurs et le transmettre. Il agit pour votre organisme seulement,
        avec vos droits de correspondant ; la validation par votre institution reste faite dans le portail (convention, art. 4).
      </Text>
      <List size="sm" spacing={4}>
        <List.Item>
          Adresse de l'API : <Code>{apiBase}</Code> — documentation : <Anchor component={Link} to="/api/docs">documentation de l'API</Anchor>.
        </List.Item>
        <List.Item>
          En-tête à envoyer : <Code>Authorization: Bearer &lt;jeton&gt;</Code>. Limite : {ratePerMinute} requêtes par minute et par jeton.
        </List.Item>
        <List.Item>Le jeton n'est affiché qu'une fois : le portail n'en garde qu'une empreinte. Révoquez-le dès qu'il ne sert plus ou s'il a pu être divulgué.</List.Item>
      </List>

      <Card withBorder>
        <Title order={3} size="h4" mb="sm">
          Créer un jeton
        </Title>
        <Stack>
          <FormAlert error={create && !create.ok ? create.formError : null} />
          {create?.ok && create.token && (
            <Alert color="green.9" role="status" title={`Jeton « ${create.token.name} » créé : copiez-le maintenant`}>
              <Stack gap="xs">
                <Text size="sm">Il ne sera plus jamais affiché. Conservez-le dans la configuration de votre logiciel, pas dans un courriel.</Text>
                <Code block aria-label="Jeton d'accès">
                  {create.token.secret}
                </Code>
                <CopyButton value={create.token.secret}>
                  {({ copied, copy }) => (
                    <Button variant="outline" onClick={copy} w="fit-content" aria-live="polite">
                      {copied ? "Jeton copié" : "Copier le jeton"}
                    </Button>
                  )}
                </CopyButton>
              </Stack>
            </Alert>
          )}
          <Form method="post" action="?intent=create" noValidate>
            <Group align="flex-end">
              <TextInput
                label="Nom du jeton"
                description="Par exemple le nom du logiciel ou du service qui l'utilisera."
                name="name"
                required
                maxLength={120}
                w={420}
                error={create && !create.ok ? create.fieldErrors.name?.[0] : undefined}
              />
              <Button type="submit" loading={creating} disabled={active >= MAX_ACTIVE_TOKENS_PER_ORGANISATION}>
                Créer le jeton
              </Button>
            </Group>
          </Form>
        </Stack>
      </Card>

      <Card withBorder>
        <Title order={3} size="h4" mb="sm">
          Jetons de votre organisme
        </Title>
        <FormAlert error={revoke && !revoke.ok ? revoke.formError : null} success={revoke?.ok ? revoke.message : null} />
        {tokens.length === 0 ? (
          <Text>Aucun jeton pour l'instant.</Text>
        ) : (
          <TableScroll label="Jetons d'accès à l'API" minWidth={860}>
            <Table striped>
              <Table.Caption>
                {active} jeton(s) actif(s) sur {MAX_ACTIVE_TOKENS_PER_ORGANISATION} au plus
              </Table.Caption>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Nom</Table.Th>
                  <Table.Th scope="col">Début du jeton</Table.Th>
                  <Table.Th scope="col">Créé</Table.Th>
                  <Table.Th scope="col">Dernière utilisation</Table.Th>
                  <Table.Th scope="col">État</Table.Th>
                  <Table.Th scope="col">Action</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {tokens.map((t) => (
                  <Table.Tr key={t.id}>
                    <Table.Th scope="row" fw={500}>
                      {t.name}
                    </Table.Th>
                    <Table.Td>
                      <Code>{t.token_prefix}…</Code>
                    </Table.Td>
                    <Table.Td>
                      {formatDateTime(t.created_at)}
                      <Text size="xs">{t.created_by_name ? `par ${t.created_by_name}` : "en ligne de commande"}</Text>
                    </Table.Td>
                    <Table.Td>{t.last_used_at ? formatDateTime(t.last_used_at) : "Jamais utilisé"}</Table.Td>
                    <Table.Td>
                      {t.revoked_at ? (
                        <>
                          <Badge color="gray.8" variant="filled">
                            Révoqué
                          </Badge>
                          <Text size="xs">
                            le {formatDateTime(t.revoked_at)}
                            {t.revoked_by_name ? ` par ${t.revoked_by_name}` : ""}
                          </Text>
                        </>
                      ) : (
                        <Badge color="green.9" variant="filled">
                          Actif
                        </Badge>
                      )}
                    </Table.Td>
                    <Table.Td>
                      {!t.revoked_at && (
                        <Form method="post" action="?intent=revoke">
                          <input type="hidden" name="tokenId" value={t.id} />
                          <Button type="submit" size="xs" color="red.9" variant="outline" aria-label={`Révoquer le jeton « ${t.name} »`}>
                            Révoquer
                          </Button>
                        </Form>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </TableScroll>
        )}
      </Card>
    </Stack>
  );
}
