import { ANY_ORGANISATION, can, type PermissionRequest, type Role } from "~/domain/permissions";

export interface NavItem {
  to: string;
  label: string;
}

interface Item {
  to: string;
  label: string;
  permission?: PermissionRequest;
  /** "any": only users holding the permission for every organisation; "own": only those holding it for their own alone. */
  scope?: "any" | "own";
}

const items: Item[] = [
  { to: "/", label: "Accueil" },
  { to: "/organisations", label: "Organismes membres", permission: "read:organisation" },
  { to: "/convention", label: "Convention et avenants", permission: "read:convention" },
  { to: "/indicators", label: "Catalogue des indicateurs", permission: "read:indicator" },
  { to: "/proposals", label: "Propositions d'indicateurs", permission: "read:indicator_proposal" },
  { to: "/governance", label: "Instances de gouvernance", permission: "read:governance" },
  { to: "/requests", label: "Demandes de données", permission: "read:data_request" },
  { to: "/agreements", label: "Conventions d'application", permission: "read:agreement", scope: "any" },
  { to: "/my-agreement", label: "Ma convention", permission: "read:agreement", scope: "own" },
  { to: "/campaigns", label: "Campagnes de collecte", permission: "read:campaign", scope: "any" },
  { to: "/completeness", label: "Suivi de la collecte", permission: "read:submission", scope: "any" },
  { to: "/collection", label: "Dépôt des tableaux", permission: "read:submission", scope: "own" },
  { to: "/api-tokens", label: "Accès API", permission: "manage:api_token", scope: "own" },
  { to: "/explorer", label: "Données mutualisées", permission: "read:pooled_data" },
  { to: "/workspace", label: "Espace de travail", permission: "read:workspace" },
  { to: "/publications", label: "Publications", permission: "read:publication" },
  // Art. 5: the readers' (elected officials, directions) space of released productions.
  { to: "/publications-diffusees", label: "Publications", permission: "read:released_publication" },
  { to: "/approvals", label: "Accords de diffusion", permission: "decide:approval", scope: "own" },
  { to: "/dashboard", label: "Tableau de bord annuel", permission: "read:dashboard" },
  { to: "/diffusions", label: "Registre des diffusions", permission: "manage:dashboard" },
  { to: "/my-data", label: "Données de mon organisme", permission: "export:organisation_data", scope: "own" },
  { to: "/admin/users", label: "Comptes utilisateurs", permission: "read:user" },
  { to: "/audit", label: "Journal d'audit", permission: "read:audit" },
  { to: "/notifications", label: "Notifications" },
  { to: "/demo/mailbox", label: "Courriels (démo)", permission: "read:mailbox" },
  { to: "/extranet", label: "Extranet (public)" },
  { to: "/account", label: "Mon compte" },
];

type NavUser = { role: Role; organisationId: string; organisationWithdrawn?: boolean };

function visible(user: NavUser, item: Item): boolean {
  // Art. 7: a withdrawn organisation's users see only what they may still do.
  if (!item.permission) return !user.organisationWithdrawn;
  const anyScope = can(user, item.permission, ANY_ORGANISATION);
  if (item.scope === "any") return anyScope;
  if (item.scope === "own") return !anyScope && can(user, item.permission, user.organisationId);
  return can(user, item.permission);
}

/** The navigation a user sees: only what its permissions open. */
export function navigationFor(user: NavUser): NavItem[] {
  return items.filter((item) => visible(user, item)).map(({ to, label }) => ({ to, label }));
}
