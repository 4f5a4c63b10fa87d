import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { Button, Container, Paper, PasswordInput, Stack, Text, Title } from "@mantine/core";
import { z } from "zod";
import { getDb } from "~/server/runtime.server";
import { auditContext } from "~/server/auth/authorize.server";
import { loginFromRequest } from "~/server/auth/web.server";
import { checkResetToken, resetPassword } from "~/server/users/users.server";
import { DomainError } from "~/server/errors.server";
import { formFailure, parseForm } from "~/server/http/forms.server";
import { FormAlert } from "~/ui/FormAlert";
import { PASSWORD_MIN_LENGTH } from "~/domain/password-policy";
import { pageNotFound } from "~/server/http/params.server";

export const meta: MetaFunction = () => [
  { title: "Définir mon mot de passe — Portail ODPE" },
  { name: "referrer", content: "no-referrer" },
];

/** Public page reached through a one-time link (the token is the authorization). */
export async function loader({ params }: LoaderFunctionArgs) {
  try {
    return await checkResetToken(await getDb(), params.token ?? "");
  } catch (error) {
    if (error instanceof DomainError) throw pageNotFound(error.message);
    throw error;
  }
}

const schema = z
  .object({
    password: z.string({ error: "Indiquez le mot de passe." }).min(1, { error: "Indiquez le mot de passe." }),
    confirmPassword: z.string({ error: "Confirmez le mot de passe." }),
  })
  .refine((v) => v.password === v.confirmPassword, {
    path: ["confirmPassword"],
    error: "La confirmation ne correspond pas au mot de passe.",
  });

export async function action({ request, params, context }: ActionFunctionArgs) {
  let email: string;
  let password: string;
  try {
    const input = parseForm(schema, await request.formData());
    const db = await getDb();
    email = (await checkResetToken(db, params.token ?? "")).email;
    password = input.password;
    await resetPassword(db, auditContext(null, context), params.token ?? "", input.password);
  } catch (error) {
    return formFailure(error);
  }
  // As the button says: the new password signs the person in, through the
  // ordinary login path (limits, audit, session). Should that refuse (a
  // disabled account), the login form says the password is saved.
  try {
    const signedIn = await loginFromRequest(request, context, email, password);
    return redirect("/", { headers: { "Set-Cookie": signedIn.setCookie } });
  } catch (error) {
    if (error instanceof DomainError) return redirect("/login?reset=1");
    throw error;
  }
}

export default function ResetPasswordPage() {
  const account = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <Container size={480} py="xl">
      <Title order={2} mb="xs">
        Définir mon mot de passe
      </Title>
      <Text mb="md">Compte : {account.email}</Text>
      <Paper withBorder p="lg">
        <Form method="post" noValidate>
          <Stack>
            <FormAlert error={result?.formError} />
            <PasswordInput
              label="Nouveau mot de passe"
              name="password"
              autoComplete="new-password"
              required
              description={`Au moins ${PASSWORD_MIN_LENGTH} caractères, sans votre nom ni votre adresse e-mail.`}
              error={result?.fieldErrors.password?.join(" ")}
            />
            <PasswordInput
              label="Confirmation"
              name="confirmPassword"
              autoComplete="new-password"
              required
              error={result?.fieldErrors.confirmPassword?.[0]}
            />
            <Button type="submit">Enregistrer et me connecter</Button>
          </Stack>
        </Form>
      </Paper>
    </Container>
  );
}
