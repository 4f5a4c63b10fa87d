import "@mantine/core/styles.css";
import "./ui/app.css";
import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import {
  Links,
  Meta,
  Outlet,
  Scripts,
  ScrollRestoration,
  isRouteErrorResponse,
  useRouteError,
  useRouteLoaderData,
} from "@remix-run/react";
import { ColorSchemeScript, MantineProvider, mantineHtmlProps } from "@mantine/core";
import { theme, cssVariablesResolver, themeCssVariables } from "./ui/theme";
import { useNonce } from "./ui/nonce";
import { PortalShell } from "./ui/PortalShell";
import { ErrorPage } from "./ui/ErrorPage";
import { getOptionalUser } from "./server/auth/authorize.server";
import { getDb } from "./server/runtime.server";
import { getObservatory } from "./server/observatory/observatory.server";
import { navigationFor } from "./ui/navigation";
import { countUnreadNotifications } from "./server/notifications/notifications.server";
import { roleLabels } from "./domain/permissions";
import { HELD_PAGE } from "~/domain/held-page";

/** Its pages are held while nothing they show has changed (ADR 055). */
export const handle = HELD_PAGE;

export const links: LinksFunction = () => [{ rel: "icon", href: "/favicon.svg", type: "image/svg+xml" }];

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data?.observatory.label ? `${data.observatory.label} — Portail` : "Portail ODPE" },
];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const db = await getDb();
  const [user, observatory] = await Promise.all([getOptionalUser(request), getObservatory(db)]);
  return {
    requestId: context.requestId,
    observatory,
    user: user
      ? {
          displayName: user.displayName,
          email: user.email,
          role: user.role,
          roleLabel: roleLabels[user.role],
          organisationName: user.organisationName,
        }
      : null,
    navigation: user ? navigationFor(user) : [],
    unreadNotifications: user ? await countUnreadNotifications(db, user.id) : 0,
  };
}

export type RootData = Awaited<ReturnType<typeof loader>>;

export function Layout({ children }: { children: React.ReactNode }) {
  const nonce = useNonce();
  const data = useRouteLoaderData<typeof loader>("root");
  return (
    <html lang="fr" {...mantineHtmlProps}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
        <ColorSchemeScript nonce={nonce} defaultColorScheme="light" forceColorScheme="light" />
        {/* The theme's CSS variables, computed once per process (app/ui/theme.ts, ADR 035), not by the provider per render. */}
        <style data-mantine-styles nonce={nonce} dangerouslySetInnerHTML={{ __html: themeCssVariables }} />
      </head>
      <body>
        <MantineProvider
          theme={theme}
          cssVariablesResolver={cssVariablesResolver}
          withCssVariables={false}
          forceColorScheme="light"
          getStyleNonce={() => nonce ?? ""}
        >
          <PortalShell data={data} nonce={nonce}>
            {children}
          </PortalShell>
        </MantineProvider>
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

const statusMessages: Record<number, { title: string; text: string }> = {
  400: { title: "Requête invalide", text: "La requête envoyée n'a pas pu être comprise. Revenez en arrière et réessayez." },
  401: { title: "Connexion requise", text: "Connectez-vous pour accéder à cette page." },
  403: {
    title: "Accès refusé",
    text: "Vous n'avez pas les droits nécessaires pour afficher cette page. Si vous pensez que c'est une erreur, contactez le référent de l'ODPE.",
  },
  404: { title: "Page introuvable", text: "Cette page n'existe pas ou a été déplacée. Vérifiez l'adresse ou revenez à l'accueil." },
  405: { title: "Action non permise", text: "Cette action n'est pas possible sur cette page." },
  409: { title: "Action impossible pour l'instant", text: "L'état de cet élément ne permet pas cette action. Revenez à la page précédente et vérifiez son statut." },
  413: { title: "Envoi trop volumineux", text: "Le formulaire ou le fichier envoyé dépasse la taille autorisée." },
  429: { title: "Trop de requêtes", text: "Vous avez fait trop de tentatives. Patientez quelques minutes puis réessayez." },
  503: {
    title: "Service momentanément indisponible",
    text: "Le portail ne peut pas joindre sa base de données (maintenance ou incident) : votre demande n'a pas abouti. Réessayez dans quelques instants (si vous veniez d'envoyer un formulaire ou un fichier, vérifiez d'abord s'il apparaît) ; si cela dure, prévenez le référent de l'ODPE en lui donnant l'identifiant ci-dessous.",
  },
};

export function ErrorBoundary() {
  const error = useRouteError();
  const data = useRouteLoaderData<typeof loader>("root");
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const message = statusMessages[status] ?? {
    title: "Erreur inattendue",
    text: "Une erreur inattendue s'est produite. Réessayez ; si elle persiste, transmettez l'identifiant ci-dessous au support.",
  };
  // When the root loader itself failed (database unreachable: app/server/http/outage.server.ts), the id comes with the error.
  const errorData: unknown = isRouteErrorResponse(error) ? error.data : null;
  const requestId =
    data?.requestId ??
    (errorData && typeof errorData === "object" && "requestId" in errorData && typeof errorData.requestId === "string" ? errorData.requestId : undefined);
  // A body over its limit (app/server/http/body-limits.server.ts) says which limit, in its own words; a refusal of the
  // request (4xx) thrown with a French sentence (a domain refusal, bad input: outage.server.ts) says what was wrong.
  const limitText =
    status === 413 && errorData && typeof errorData === "object" && "message" in errorData && typeof errorData.message === "string" ? errorData.message : null;
  const detail = status >= 400 && status < 500 && typeof errorData === "string" && errorData.length > 0 && errorData.length <= 600 ? errorData : null;
  return <ErrorPage status={status} title={message.title} text={limitText ?? detail ?? message.text} requestId={requestId} />;
}
