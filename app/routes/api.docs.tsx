import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Anchor, Badge, Card, Code, Group, List, Stack, Table, Text, Title } from "@mantine/core";
import { apiOperations, componentSchemas } from "~/server/api/openapi.server";
import { API_BASE } from "~/server/api/partner-api.server";
import { UPLOAD_FIELD } from "~/server/api/upload-request.server";
import { problemTypes, type ProblemType } from "~/server/http/problem.server";
import { getEnv } from "~/server/env.server";
import { DEFAULT_UPLOAD_LIMITS, formatFileSize, XLSX_CONTENT_TYPE } from "~/domain/upload-errors";
import { TableScroll } from "~/ui/TableScroll";

export const meta: MetaFunction = () => [{ title: "Documentation de l'API — Portail ODPE" }];

type JsonSchema = { type?: string | string[]; format?: string; enum?: string[]; $ref?: string; anyOf?: JsonSchema[]; items?: JsonSchema; description?: string };

/** A JSON Schema type in a few words ("entier", "liste de ProblemItem", "texte ou null"). */
function typeLabel(schema: JsonSchema): string {
  if (schema.$ref) return schema.$ref.split("/").pop()!;
  if (schema.anyOf) return schema.anyOf.map(typeLabel).join(" ou ");
  if (schema.enum) return schema.enum.join(" | ");
  const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? "objet"];
  const names: Record<string, string> = { string: "texte", integer: "entier", number: "nombre", boolean: "booléen", null: "null", object: "objet" };
  return types
    .map((t) => (t === "array" ? `liste de ${schema.items ? typeLabel(schema.items) : "valeurs"}` : t === "string" && schema.format ? `texte (${schema.format})` : (names[t] ?? t)))
    .join(" ou ");
}

/** The API documentation, generated from the same description as the OpenAPI document. Public. */
export async function loader({ request }: LoaderFunctionArgs) {
  const origin = new URL(request.url).origin;
  const schemas = componentSchemas();
  const documented = ["CampaignList", "Campaign", "UploadList", "UploadSummary", "Upload", "ProblemItem", "SubmitRequest", "Problem"];
  return {
    origin,
    apiBase: API_BASE,
    uploadField: UPLOAD_FIELD,
    ratePerMinute: getEnv().API_RATE_LIMIT_PER_MINUTE,
    maxSize: formatFileSize(DEFAULT_UPLOAD_LIMITS.maxFileBytes),
    operations: apiOperations.map((op) => ({
      ...op,
      responses: Object.entries(op.responses)
        .map(([status, spec]) => ({ status: Number(status), ...spec }))
        .sort((a, b) => a.status - b.status),
    })),
    problems: (Object.keys(problemTypes) as ProblemType[]).map((type) => ({ type, ...problemTypes[type] })),
    schemas: documented.map((id) => {
      const schema = schemas[id] as { description?: string; properties?: Record<string, JsonSchema>; required?: string[] };
      return {
        id,
        description: schema.description ?? null,
        properties: Object.entries(schema.properties ?? {}).map(([name, p]) => ({
          name,
          type: typeLabel(p),
          required: schema.required?.includes(name) ?? false,
          description: p.description ?? "",
        })),
      };
    }),
  };
}

const methodColors = { get: "blue.9", post: "green.9" } as const;
const anchorOf = (operationId: string) => `operation-${operationId}`;

export default function ApiDocsPage() {
  const { origin, apiBase, uploadField, ratePerMinute, maxSize, operations, problems, schemas } = useLoaderData<typeof loader>();
  const base = `${origin}${apiBase}`;
  return (
    <Stack maw={1100}>
      <Title order={2}>Documentation de l'API partenaires</Title>
      <Text>
        L'API permet au système d'information d'un organisme partenaire de transmettre ses indicateurs annuels (convention, art. 4) sans passer par les pages du
        portail : lister les campagnes, télécharger le modèle Excel, le déposer une fois rempli, lire toutes ses erreurs en une fois, puis le transmettre pour
        validation interne. Réponses en JSON, messages en français. Description formelle :{" "}
        <Anchor href={`${apiBase}/openapi.json`}>document OpenAPI 3.1</Anchor>.
      </Text>

      <Card withBorder>
        <Title order={3} size="h4" mb="xs">
          Principes
        </Title>
        <List spacing="xs">
          <List.Item>
            <strong>Jeton.</strong> Un correspondant de votre organisme crée un jeton dans la page <Anchor component={Link} to="/api-tokens">Accès API</Anchor> du portail
            (ou l'administrateur avec <Code>npm run token:create -- --org CODE --name "libellé"</Code>). Il est affiché une seule fois. Envoyez-le à chaque requête :{" "}
            <Code>Authorization: Bearer odpe_…</Code>. Le jeton agit pour votre organisme seulement, avec les droits d'un correspondant ; il ne donne jamais accès aux
            données d'un autre organisme (elles répondent 404).
          </List.Item>
          <List.Item>
            <strong>Limite de débit.</strong> {ratePerMinute} requêtes par minute et par jeton. Au-delà : 429 et l'en-tête <Code>Retry-After</Code> (secondes). Chaque
            réponse porte <Code>RateLimit-Limit</Code>, <Code>RateLimit-Remaining</Code> et <Code>RateLimit-Reset</Code>.
          </List.Item>
          <List.Item>
            <strong>Dépôt.</strong> Le classeur (.xlsx, {maxSize} au plus) en corps brut avec <Code>Content-Type: {XLSX_CONTENT_TYPE}</Code>, ou en{" "}
            <Code>multipart/form-data</Code> dans le champ <Code>{uploadField}</Code>. Chaque dépôt accepté devient une nouvelle version numérotée ; aucune n'est
            jamais écrasée. Un fichier avec des erreurs est conservé comme brouillon (422) : corrigez toutes les erreurs listées et déposez de nouveau.
          </List.Item>
          <List.Item>
            <strong>Erreurs.</strong> Au format RFC 9457 (<Code>application/problem+json</Code>) : <Code>type</Code>, <Code>title</Code>, <Code>status</Code>,{" "}
            <Code>detail</Code>, et <Code>errors</Code> pour les problèmes d'un classeur (feuille, cellule, indicateur, code, message, que faire).
          </List.Item>
        </List>
      </Card>

      <Card withBorder>
        <Title order={3} size="h4" mb="xs">
          Exemple
        </Title>
        <Code block tabIndex={0} role="region" aria-label="Exemple d'appels avec curl">
          {[
            `JETON=odpe_…   # créé dans « Accès API »`,
            `curl -H "Authorization: Bearer $JETON" ${base}/campaigns`,
            `curl -H "Authorization: Bearer $JETON" -o modele.xlsx ${base}/campaigns/2025/template`,
            `curl -H "Authorization: Bearer $JETON" -H "Content-Type: ${XLSX_CONTENT_TYPE}" \\`,
            `     --data-binary @modele.xlsx ${base}/campaigns/2025/uploads`,
            `# ou en multipart :`,
            `curl -H "Authorization: Bearer $JETON" -F "${uploadField}=@modele.xlsx" ${base}/campaigns/2025/uploads`,
            `curl -H "Authorization: Bearer $JETON" -H "Content-Type: application/json" \\`,
            `     -d '{"comment":"Hausse due au nouveau dispositif"}' ${base}/uploads/<id>/submit`,
          ].join("\n")}
        </Code>
      </Card>

      <Title order={3}>Opérations</Title>
      <nav aria-label="Opérations de l'API">
        <List size="sm">
          {operations.map((op) => (
            <List.Item key={op.operationId}>
              <Anchor href={`#${anchorOf(op.operationId)}`}>
                {op.method.toUpperCase()} {op.path}
              </Anchor>{" "}
              — {op.summary}
            </List.Item>
          ))}
        </List>
      </nav>
      {operations.map((op) => (
        <Card withBorder key={op.operationId} id={anchorOf(op.operationId)}>
          <Group gap="xs" mb="xs">
            <Badge color={methodColors[op.method]} variant="filled">
              {op.method.toUpperCase()}
            </Badge>
            <Title order={4} ff="monospace" size="h5">
              {op.path}
            </Title>
          </Group>
          <Text fw={600}>{op.summary}</Text>
          <Text size="sm" mb="xs">
            {op.description}
          </Text>
          <Text size="sm">
            {op.permission ? (
              <>
                Jeton requis (permission <Code>{op.permission}</Code>).
              </>
            ) : (
              "Public, sans jeton."
            )}
            {op.parameters.includes("year") && (
              <>
                {" "}
                <Code>{"{year}"}</Code> : année de référence de la campagne, par exemple 2025.
              </>
            )}
            {op.parameters.includes("id") && (
              <>
                {" "}
                <Code>{"{id}"}</Code> : identifiant de la version (uuid), donné par le dépôt.
              </>
            )}
            {op.requestBody === "submit" && <> Corps facultatif : <Code>{'{"comment": "…"}'}</Code>.</>}
          </Text>
          <TableScroll label={`Réponses de ${op.method.toUpperCase()} ${op.path}`} minWidth={640}>
            <Table mt="xs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Statut</Table.Th>
                  <Table.Th scope="col">Corps</Table.Th>
                  <Table.Th scope="col">Signification</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {op.responses.map((r) => (
                  <Table.Tr key={r.status}>
                    <Table.Th scope="row">{r.status}</Table.Th>
                    <Table.Td>
                      {r.body === "xlsx" ? "classeur .xlsx" : r.body ? <Anchor href={`#schema-${r.body}`}>{r.body}</Anchor> : "document JSON"}
                    </Table.Td>
                    <Table.Td>
                      {r.description}
                      {r.problems?.length ? (
                        <Text size="xs">
                          Type :{" "}
                          {r.problems.map((p, i) => (
                            <span key={p}>
                              {i > 0 && ", "}
                              <Anchor href={`#${p}`}>{p}</Anchor>
                            </span>
                          ))}
                        </Text>
                      ) : null}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </TableScroll>
        </Card>
      ))}

      <Title order={3}>Types d'erreur</Title>
      <Text size="sm">
        Le champ <Code>type</Code> d'une erreur renvoie à l'une de ces explications (<Code>/api/docs#…</Code>).
      </Text>
      <TableScroll label="Types d'erreur" minWidth={720}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Type</Table.Th>
              <Table.Th scope="col">Statut</Table.Th>
              <Table.Th scope="col">Titre</Table.Th>
              <Table.Th scope="col">Explication</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {problems.map((p) => (
              <Table.Tr key={p.type} id={p.type}>
                <Table.Th scope="row">
                  <Code>{p.type}</Code>
                </Table.Th>
                <Table.Td>{p.status}</Table.Td>
                <Table.Td>{p.title}</Table.Td>
                <Table.Td>{p.explanation}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </TableScroll>

      <Title order={3}>Schémas</Title>
      {schemas.map((s) => (
        <Card withBorder key={s.id} id={`schema-${s.id}`}>
          <Title order={4} size="h5" ff="monospace">
            {s.id}
          </Title>
          {s.description && (
            <Text size="sm" mb="xs">
              {s.description}
            </Text>
          )}
          <TableScroll label={`Champs de ${s.id}`} minWidth={640}>
            <Table>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Champ</Table.Th>
                  <Table.Th scope="col">Type</Table.Th>
                  <Table.Th scope="col">Description</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {s.properties.map((p) => (
                  <Table.Tr key={p.name}>
                    <Table.Th scope="row">
                      <Code>{p.name}</Code>
                      {!p.required && <Text size="xs">facultatif</Text>}
                    </Table.Th>
                    <Table.Td>{p.type}</Table.Td>
                    <Table.Td>{p.description}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </TableScroll>
        </Card>
      ))}
    </Stack>
  );
}
