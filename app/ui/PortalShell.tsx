import { useDisclosure } from "@mantine/hooks";
import { Form, Link, useLocation } from "@remix-run/react";
import type { RootData } from "~/root";
import { AppShell, AppShellHeader, AppShellMain, AppShellNavbar, Badge, Burger, Button, Group, NavLink, Stack, Text, Title } from "./lite";

/**
 * The page frame: header with the observatory's name, navigation by role, main content.
 * Rendered on every page: built from the hook-free stand-ins of app/ui/lite.tsx, which
 * write Mantine's markup without its per-component work (ADR 038).
 */
export function PortalShell({ data, nonce, children }: { data: RootData | undefined; nonce?: string; children: React.ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const user = data?.user;
  const observatory = data?.observatory;
  const hasNav = !!user && (data?.navigation.length ?? 0) > 0;

  return (
    <AppShell navbar={hasNav ? (opened ? "opened" : "closed") : "none"} nonce={nonce}>
      <a href="#contenu" className="skip-link">
        Aller au contenu
      </a>
      <AppShellHeader>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap" style={{ minWidth: 0 }}>
            {hasNav && (
              <Burger opened={opened} onClick={toggle} aria-label={opened ? "Fermer le menu" : "Ouvrir le menu"} />
            )}
            {/* Anonymous visitors' home is the public extranet (Art. 5); members' is the portal. */}
            <Link to={user ? "/" : "/extranet"} style={{ color: "inherit", textDecoration: "none" }} aria-label={`Accueil — ${observatory?.name ?? "Portail ODPE"}`}>
              <Title order={1} size="h4" lineClamp={1}>
                {observatory?.label ?? "Portail ODPE"}
              </Title>
            </Link>
            {observatory?.isDemo && (
              <Badge color="#8a3300" title="Données et comptes fictifs de démonstration" style={{ flexShrink: 0 }}>
                <span className="mantine-visible-from-sm">Démonstration</span>
                <span className="mantine-hidden-from-sm">Démo</span>
              </Badge>
            )}
          </Group>
          {!user && location.pathname.startsWith("/extranet") && (
            <Button component={Link} to="/login" variant="outline">
              Connexion
            </Button>
          )}
          {user && (
            <Group gap="sm" wrap="nowrap" style={{ flexShrink: 0 }}>
              <Stack gap={0} visibleFrom="sm" align="flex-end">
                <Text size="sm" fw={600}>
                  {user.displayName}
                </Text>
                <Text size="xs" c="dimmed">
                  {user.roleLabel}
                  {user.organisationName ? ` — ${user.organisationName}` : ""}
                </Text>
              </Stack>
              <Button
                component={Link}
                to="/notifications"
                variant="subtle"
                aria-label={`Notifications : ${data?.unreadNotifications ?? 0} non lue(s)`}
              >
                Notifications{data?.unreadNotifications ? ` (${data.unreadNotifications})` : ""}
              </Button>
              {/* On a phone the menu carries it (the header has no room). */}
              <div className={hasNav ? "mantine-visible-from-sm" : undefined}>
                <Form method="post" action="/logout">
                  <Button type="submit" variant="outline">
                    Se déconnecter
                  </Button>
                </Form>
              </div>
            </Group>
          )}
        </Group>
      </AppShellHeader>
      {hasNav && (
        <AppShellNavbar aria-label="Navigation principale">
          {data!.navigation.map((item) => (
            <NavLink
              key={item.to}
              component={Link}
              to={item.to}
              label={item.label}
              onClick={close}
              active={item.to === "/" ? location.pathname === "/" : location.pathname.startsWith(item.to)}
              aria-current={location.pathname === item.to ? "page" : undefined}
            />
          ))}
          <div style={{ marginTop: "var(--mantine-spacing-md)" }} className="mantine-hidden-from-sm">
            <Form method="post" action="/logout">
              <Button type="submit" variant="outline" fullWidth>
                Se déconnecter
              </Button>
            </Form>
          </div>
        </AppShellNavbar>
      )}
      <AppShellMain id="contenu" tabIndex={-1}>
        {children}
      </AppShellMain>
    </AppShell>
  );
}
