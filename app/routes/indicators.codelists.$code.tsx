import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Anchor, Badge, Button, NativeSelect, Stack, Table, Text, TextInput, Textarea, Title } from "@mantine/core";
import { useState } from "react";
import { actorOf, requirePermission, userCan } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { getCodelist, relabelCodelistItem } from "~/server/indicators/indicators.server";
import { parseForm } from "~/server/http/forms.server";
import { intentFailure, intentSuccess, orNotFound, unknownIntent, type IntentResult } from "~/server/http/results.server";
import { codelistLabelSchema } from "~/domain/indicators";
import { FormAlert } from "~/ui/FormAlert";
import { TableScroll } from "~/ui/TableScroll";
import { formatDate } from "~/domain/format";
import { requireParam } from "~/server/http/params.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.codelist.label ?? "Liste de codes"} — Catalogue des indicateurs` }];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const user = await requirePermission(request, "read:indicator");
  const code = requireParam(params, "code", "code", "Liste de codes introuvable");
  const codelist = await orNotFound(async () => getCodelist(await getDb(), code));
  return { codelist, canManage: userCan(user, "manage:indicator") };
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "manage:indicator");
  const code = requireParam(params, "code", "code", "Liste de codes introuvable");
  const intent = new URL(request.url).searchParams.get("intent") ?? "";
  const db = await getDb();
  try {
    const form = await request.formData();
    if (intent !== "relabel") throw unknownIntent();
    form.set("codelist", code);
    const input = parseForm(codelistLabelSchema, form);
    const { version } = await relabelCodelistItem(db, actorOf(user, context), input);
    return intentSuccess(intent, `Le libellé de la modalité ${input.code} est enregistré (version ${version}). Il s'applique aux modèles, à l'explorateur et aux éditions en préparation ; les éditions publiées gardent leur libellé.`);
  } catch (error) {
    return intentFailure(intent, error);
  }
}

export default function CodelistPage() {
  const { codelist, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>() as IntentResult | undefined;
  const navigation = useNavigation();
  const [selected, setSelected] = useState<string | null>(null);
  const current = codelist.items.find((i) => i.code === selected);
  const errors = result?.ok === false ? result.fieldErrors : {};
  return (
    <Stack maw={1100}>
      <Anchor component={Link} to="/indicators">
        ← Catalogue des indicateurs
      </Anchor>
      <Title order={2}>
        {codelist.label} <Text span c="dimmed">({codelist.code})</Text>
      </Title>
      <Text>
        Les libellés des modalités s'affichent dans les modèles de saisie, l'explorateur et le tableau de bord. Changer un libellé ne change pas le sens du
        code : une modalité au sens nouveau est un nouveau code, ajouté par avenant (Art. 7).
      </Text>
      <TableScroll label={`Modalités de la liste ${codelist.code}`}>
        <Table>
          <Table.Caption>Modalités de la liste {codelist.code}</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Code</Table.Th>
              <Table.Th scope="col">Libellé en vigueur</Table.Th>
              <Table.Th scope="col">Version</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {codelist.items.map((item) => (
              <Table.Tr key={item.code}>
                <Table.Td>{item.code}</Table.Td>
                <Table.Td>{item.label}</Table.Td>
                <Table.Td>{item.version === 1 ? "d'origine" : <Badge color="blue.9">version {item.version}</Badge>}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </TableScroll>

      {canManage && (
        <Form method="post" action="?intent=relabel">
          <Stack maw={640}>
            <Title order={3} size="h4">
              Modifier un libellé
            </Title>
            <FormAlert error={result?.ok === false ? result.formError : null} success={result?.ok ? result.message : null} />
            <NativeSelect
              label="Modalité"
              name="code"
              required
              value={selected ?? ""}
              onChange={(event) => setSelected(event.currentTarget.value || null)}
              data={[{ value: "", label: "Choisissez une modalité" }, ...codelist.items.map((i) => ({ value: i.code, label: `${i.code} — ${i.label}` }))]}
              error={errors.code?.join(" ")}
            />
            <TextInput
              key={selected ?? ""}
              label="Nouveau libellé"
              name="label"
              required
              maxLength={120}
              defaultValue={current?.label ?? ""}
              error={errors.label?.join(" ")}
            />
            <Textarea label="Raison du changement" description="Elle figure dans l'historique et le journal d'audit." name="changeNote" required autosize minRows={2} error={errors.changeNote?.join(" ")} />
            <Button type="submit" loading={navigation.state === "submitting"} w="fit-content">
              Enregistrer le libellé
            </Button>
          </Stack>
        </Form>
      )}

      <Title order={3} size="h4">
        Historique des libellés
      </Title>
      {codelist.history.length === 0 ? (
        <Text>Aucun libellé n'a été modifié depuis le chargement de la convention.</Text>
      ) : (
        <TableScroll label="Historique des libellés">
          <Table>
            <Table.Caption>Changements de libellé, du plus récent au plus ancien</Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Date</Table.Th>
                <Table.Th scope="col">Code</Table.Th>
                <Table.Th scope="col">Version</Table.Th>
                <Table.Th scope="col">Ancien libellé</Table.Th>
                <Table.Th scope="col">Nouveau libellé</Table.Th>
                <Table.Th scope="col">Raison</Table.Th>
                <Table.Th scope="col">Par</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {codelist.history.map((h) => (
                <Table.Tr key={`${h.code}-${h.version}`}>
                  <Table.Td>{formatDate(h.created_at)}</Table.Td>
                  <Table.Td>{h.code}</Table.Td>
                  <Table.Td>{h.version}</Table.Td>
                  <Table.Td>{h.previous_label}</Table.Td>
                  <Table.Td>{h.label}</Table.Td>
                  <Table.Td>{h.change_note}</Table.Td>
                  <Table.Td>{h.author ?? "—"}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      )}
    </Stack>
  );
}
