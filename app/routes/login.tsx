import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, useActionData, useNavigation, useSearchParams } from "@remix-run/react";
import { Alert, Button, Container, Paper, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { z } from "zod";
import { getOptionalUser } from "~/server/auth/authorize.server";
import { loginFromRequest, loginRedirectTarget } from "~/server/auth/web.server";
import { formFailure, parseForm } from "~/server/http/forms.server";

export const meta: MetaFunction = () => [{ title: "Connexion — Portail ODPE" }];

const loginSchema = z.object({
  email: z.string({ error: "Indiquez votre adresse e-mail." }).trim().min(1, { error: "Indiquez votre adresse e-mail." }).max(254),
  password: z.string({ error: "Indiquez votre mot de passe." }).min(1, { error: "Indiquez votre mot de passe." }).max(256),
  redirectTo: z.string().optional(),
});

/** A throttled sign-in (429) says when to come back, on the HTML page too (Remix keeps only Set-Cookie otherwise). */
export const headers: HeadersFunction = ({ actionHeaders }) => {
  const retryAfter = actionHeaders.get("Retry-After");
  const headers: Record<string, string> = {};
  if (retryAfter) headers["Retry-After"] = retryAfter;
  return headers;
};

export async function loader({ request }: LoaderFunctionArgs) {
  // Public page: the login form. A signed-in user goes straight home.
  if (await getOptionalUser(request)) throw redirect("/");
  return null;
}

export async function action({ request, context }: ActionFunctionArgs) {
  try {
    const input = parseForm(loginSchema, await request.formData());
    const result = await loginFromRequest(request, context, input.email, input.password);
    return redirect(loginRedirectTarget(request, input.redirectTo), { headers: { "Set-Cookie": result.setCookie } });
  } catch (error) {
    return formFailure(error);
  }
}

export default function LoginPage() {
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const [params] = useSearchParams();
  const fieldErrors = result?.fieldErrors ?? {};
  return (
    <Container size={460} py="xl">
      <Title order={2} ta="center" mb="xs">
        Connexion à l'espace sécurisé
      </Title>
      <Text ta="center" c="dimmed" mb="lg">
        Réservé aux membres de l'observatoire et à leurs correspondants.
      </Text>
      <Paper withBorder shadow="sm" p="lg" radius="md">
        <Form method="post" noValidate>
          <Stack>
            {params.get("reset") === "1" && !result?.formError && (
              <Alert color="green.9" role="status" title="Mot de passe enregistré">
                Connectez-vous avec votre nouveau mot de passe.
              </Alert>
            )}
            {result?.formError && (
              <Alert color="red.9" role="alert" title="Connexion impossible">
                {result.formError}
              </Alert>
            )}
            <input type="hidden" name="redirectTo" value={params.get("redirectTo") ?? "/"} />
            <TextInput
              label="Adresse e-mail"
              name="email"
              type="email"
              autoComplete="username"
              required
              error={fieldErrors.email?.[0]}
            />
            <PasswordInput
              label="Mot de passe"
              name="password"
              autoComplete="current-password"
              required
              error={fieldErrors.password?.[0]}
            />
            <Button type="submit" loading={navigation.state === "submitting"}>
              Se connecter
            </Button>
            <Text size="sm" c="dimmed">
              Mot de passe oublié ? Demandez un lien de réinitialisation à l'administrateur du portail.
            </Text>
          </Stack>
        </Form>
      </Paper>
    </Container>
  );
}
