import { Table, Text } from "@mantine/core";
import { cellReference, type Problem } from "~/domain/problems";
import { TableScroll } from "../TableScroll";
import { WrapBadge } from "~/ui/WrapBadge";

/** Every problem of a workbook, in one table: where, which indicator, what is wrong, what to do. */
export function ProblemsTable({ problems, caption }: { problems: readonly Problem[]; caption: string }) {
  if (problems.length === 0) return <Text>Aucun problème détecté.</Text>;
  return (
    <TableScroll label={caption} minWidth={860}>
      <Table striped>
        <caption style={{ textAlign: "left", captionSide: "top", fontWeight: 600, paddingBottom: 8 }}>{caption}</caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Gravité</Table.Th>
            <Table.Th scope="col">Cellule</Table.Th>
            <Table.Th scope="col">Indicateur</Table.Th>
            <Table.Th scope="col">Problème</Table.Th>
            <Table.Th scope="col">Que faire</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {problems.map((p, i) => (
            <Table.Tr key={`${p.cell ?? "file"}-${p.code}-${i}`}>
              <Table.Td style={{ whiteSpace: "nowrap" }}>
                <WrapBadge color={p.severity === "error" ? "red.9" : "orange.9"}>
                  {p.severity === "error" ? "Erreur" : "Avertissement"}
                </WrapBadge>
              </Table.Td>
              <Table.Td>
                <code>{cellReference(p)}</code>
              </Table.Td>
              <Table.Td>
                {p.indicator ? `${p.indicator} — ${p.indicatorLabel ?? ""}` : "—"}
                {p.breakdownLabel && (
                  <Text size="sm" c="dimmed">
                    Ventilation : {p.breakdownLabel}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>{p.message}</Table.Td>
              <Table.Td>{p.hint}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </TableScroll>
  );
}
