import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { Anchor, Badge, Button, Group, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { listUsers } from "~/server/users/users.server";
import { listOrganisationOptions } from "~/server/organisations/organisations.server";
import { roleLabels } from "~/domain/permissions";
import { formatDateTime } from "~/domain/format";
import { TableScroll } from "~/ui/TableScroll";

export const meta: MetaFunction = () => [{ title: "Comptes utilisateurs — Portail ODPE" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "read:user");
  const url = new URL(request.url);
  const filter = {
    q: url.searchParams.get("q")?.trim() || undefined,
    organisationId: url.searchParams.get("organisation") || undefined,
    status: url.searchParams.get("status") || undefined,
  };
  const db = await getDb();
  const [users, organisations] = await Promise.all([listUsers(db, filter), listOrganisationOptions(db)]);
  return { users, organisations, filter };
}

export default function UsersPage() {
  const { users, organisations, filter } = useLoaderData<typeof loader>();
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Comptes utilisateurs</Title>
        <Button component={Link} to="/admin/users/new">
          Créer un compte
        </Button>
      </Group>
      <Form method="get" role="search" aria-label="Filtrer les comptes">
        <Group align="flex-end">
          <TextInput label="Nom ou adresse e-mail" name="q" defaultValue={filter.q ?? ""} />
          <Select
            label="Organisme"
            name="organisation"
            clearable
            searchable
            defaultValue={filter.organisationId ?? null}
            data={organisations.map((o) => ({ value: o.id, label: `${o.code} — ${o.name}` }))}
          />
          <Select
            label="Statut"
            name="status"
            clearable
            defaultValue={filter.status ?? null}
            data={[
              { value: "active", label: "Actif" },
              { value: "disabled", label: "Désactivé" },
            ]}
          />
          <Button type="submit" variant="outline">
            Filtrer
          </Button>
        </Group>
      </Form>
      <Text size="sm">{users.length} compte(s)</Text>
      <TableScroll label="Liste des comptes" minWidth={720}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Nom</Table.Th>
              <Table.Th scope="col">Adresse e-mail</Table.Th>
              <Table.Th scope="col">Organisme</Table.Th>
              <Table.Th scope="col">Rôle</Table.Th>
              <Table.Th scope="col">Statut</Table.Th>
              <Table.Th scope="col">Dernière connexion</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {users.map((u) => (
              <Table.Tr key={u.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/admin/users/${u.id}`}>
                    {u.display_name}
                  </Anchor>
                </Table.Td>
                <Table.Td>{u.email}</Table.Td>
                <Table.Td>{u.organisation_code}</Table.Td>
                <Table.Td>{roleLabels[u.role]}</Table.Td>
                <Table.Td>
                  <Badge color={u.status === "active" ? "green.9" : "gray.8"} variant="filled">
                    {u.status === "active" ? "Actif" : "Désactivé"}
                  </Badge>
                </Table.Td>
                <Table.Td>{formatDateTime(u.last_login_at)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </TableScroll>
    </Stack>
  );
}
