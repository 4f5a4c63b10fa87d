import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Anchor, Stack, Table, Text, Title } from "@mantine/core";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { listReleases, releaseKindLabels } from "~/server/disclosure/ledger.server";
import { TableScroll } from "~/ui/TableScroll";
import { formatDateTime } from "~/domain/format";

export const meta: MetaFunction = () => [{ title: "Registre des diffusions — Portail ODPE" }];

/** The disclosure ledger, per release (ADR 015): for the referent. */
export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "manage:dashboard");
  const releases = await listReleases(await getDb());
  return {
    releases: releases.map((r) => ({
      id: r.id,
      kind: releaseKindLabels[r.kind],
      label: r.label,
      releasedAt: new Date(r.released_at).toISOString(),
      by: r.released_by_name,
      cells: r.cell_count,
      secret: r.secret_count,
      withdrawnAt: r.withdrawn_at ? new Date(r.withdrawn_at).toISOString() : null,
    })),
  };
}

export default function Diffusions() {
  const { releases } = useLoaderData<typeof loader>();
  return (
    <Stack>
      <Title order={1}>Registre des diffusions</Title>
      <Text>
        Chaque diffusion hors de l&apos;observatoire (édition du tableau de bord, publication, paquet ONPE) et chaque valeur qu&apos;elle a rendue publique, ou
        masquée (« s » : secret statistique). Le registre ne se modifie pas : une correction est une nouvelle diffusion.
      </Text>
      {releases.length === 0 ? (
        <Text>Aucune diffusion pour l&apos;instant.</Text>
      ) : (
        <TableScroll label="Diffusions" minWidth={760}>
          <Table striped withTableBorder>
            <caption style={{ captionSide: "top", textAlign: "left", fontWeight: 600 }}>Diffusions, la plus récente d&apos;abord</caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Diffusion</Table.Th>
                <Table.Th scope="col">Nature</Table.Th>
                <Table.Th scope="col">Date</Table.Th>
                <Table.Th scope="col" ta="right">
                  Valeurs
                </Table.Th>
                <Table.Th scope="col" ta="right">
                  Dont secrètes
                </Table.Th>
                <Table.Th scope="col">État</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {releases.map((r) => (
                <Table.Tr key={r.id}>
                  <Table.Th scope="row" fw={500}>
                    <Anchor component={Link} to={`/diffusions/${r.id}`}>
                      {r.label}
                    </Anchor>
                  </Table.Th>
                  <Table.Td>{r.kind}</Table.Td>
                  <Table.Td>
                    {formatDateTime(r.releasedAt)}
                    {r.by ? ` — ${r.by}` : ""}
                  </Table.Td>
                  <Table.Td ta="right">{r.cells}</Table.Td>
                  <Table.Td ta="right">{r.secret}</Table.Td>
                  <Table.Td>{r.withdrawnAt ? `Retirée du site public le ${formatDateTime(r.withdrawnAt)}` : "Diffusée"}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </TableScroll>
      )}
    </Stack>
  );
}
