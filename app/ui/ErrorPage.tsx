import { Alert, Anchor, Code, Container, Stack, Text, Title } from "@mantine/core";
import { Link } from "@remix-run/react";

/** One error page for every status: a French title, what to do, and the request id. */
export function ErrorPage(props: { status: number; title: string; text: string; requestId?: string }) {
  return (
    <Container size="sm" py="xl">
      <Stack>
        <Title order={2}>
          {props.title} <Text span c="dimmed" size="lg">(erreur {props.status})</Text>
        </Title>
        <Alert color={props.status >= 500 ? "red.9" : "orange.9"} variant="light" role="alert" title="Que faire ?">
          {props.text}
        </Alert>
        {props.requestId && (
          <Text size="sm">
            Identifiant de la requête à communiquer au support : <Code>{props.requestId}</Code>
          </Text>
        )}
        <Anchor component={Link} to="/">
          Retour à l'accueil
        </Anchor>
      </Stack>
    </Container>
  );
}
