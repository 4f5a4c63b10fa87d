import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Alert, Anchor, Stack, Table, Text, Title } from "@mantine/core";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { orNotFound } from "~/server/http/results.server";
import { getRelease, releaseKindLabels } from "~/server/disclosure/ledger.server";
import { SECRET_EXPLANATION, SECRET_LABEL } from "~/domain/secrecy";
import { TableScroll } from "~/ui/TableScroll";
import { formatDateTime, formatDecimal } from "~/domain/format";
import { requireParam } from "~/server/http/params.server";

export const meta: MetaFunction = () => [{ title: "Diffusion — registre des diffusions — Portail ODPE" }];

/** One release of the disclosure ledger and every value it made public (ADR 015): for the referent. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "manage:dashboard");
  const id = requireParam(params, "id", "uuid", "Diffusion introuvable");
  const { release, cells } = await orNotFound(async () => getRelease(await getDb(), id));
  return {
    release: {
      kind: releaseKindLabels[release.kind],
      label: release.label,
      releasedAt: new Date(release.released_at).toISOString(),
      by: release.released_by_name,
      withdrawnAt: release.withdrawn_at ? new Date(release.withdrawn_at).toISOString() : null,
      withdrawalReason: release.withdrawal_reason,
    },
    cells,
  };
}

export default function Diffusion() {
  const { release, cells } = useLoaderData<typeof loader>();
  return (
    <Stack>
      <Anchor component={Link} to="/diffusions">
        ← Registre des diffusions
      </Anchor>
      <Title order={1}>{release.label}</Title>
      <Text>
        {release.kind}, diffusée le {formatDateTime(release.releasedAt)}
        {release.by ? ` par ${release.by}` : ""} : {cells.length} valeur(s). {SECRET_EXPLANATION}.
      </Text>
      {release.withdrawnAt && (
        <Alert color="orange" title="Retirée du site public">
          Le {formatDateTime(release.withdrawnAt)} : {release.withdrawalReason}
        </Alert>
      )}
      <TableScroll label="Valeurs de la diffusion" minWidth={760}>
        <Table striped withTableBorder>
          <caption style={{ captionSide: "top", textAlign: "left", fontWeight: 600 }}>Valeurs rendues publiques</caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Indicateur</Table.Th>
              <Table.Th scope="col">Année</Table.Th>
              <Table.Th scope="col">Organisme ou ensemble</Table.Th>
              <Table.Th scope="col">Ventilation</Table.Th>
              <Table.Th scope="col" ta="right">
                Valeur diffusée
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {cells.map((c) => (
              <Table.Tr key={c.key}>
                <Table.Th scope="row" fw={500}>
                  {c.indicatorCode}
                </Table.Th>
                <Table.Td>{c.year}</Table.Td>
                <Table.Td>{c.scope}</Table.Td>
                <Table.Td>{c.breakdownKey || "Total"}</Table.Td>
                <Table.Td ta="right">{c.secret ? SECRET_LABEL : c.value === null ? "—" : formatDecimal(c.value)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </TableScroll>
    </Stack>
  );
}
