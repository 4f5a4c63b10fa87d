import { AppShell, Badge, Box, Burger, Button, Group, NavLink, Stack, Text, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { Form, Link, useLocation } from "@remix-run/react";
import type { RootData } from "~/root";

/** The page frame: header with the observatory's name, navigation by role, main content. */
export function PortalShell({ data, children }: { data: RootData | undefined; children: React.ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const user = data?.user;
  const observatory = data?.observatory;
  const hasNav = !!user && (data?.navigation.length ?? 0) > 0;

  return (
    <AppShell
      header={{ height: 64 }}
      navbar={hasNav ? { width: 260, breakpoint: "sm", collapsed: { mobile: !opened } } : undefined}
      padding="md"
    >
      <a href="#contenu" className="skip-link">
        Aller au contenu
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap" style={{ minWidth: 0 }}>
            {hasNav && (
              <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={opened ? "Fermer le menu" : "Ouvrir le menu"} />
            )}
            {/* Anonymous visitors' home is the public extranet (Art. 5); members' is the portal. */}
            <Link to={user ? "/" : "/extranet"} style={{ color: "inherit", textDecoration: "none" }} aria-label={`Accueil — ${observatory?.name ?? "Portail ODPE"}`}>
              <Title order={1} size="h4" lineClamp={1}>
                {observatory?.label ?? "Portail ODPE"}
              </Title>
            </Link>
            {observatory?.isDemo && (
              <Badge color="#8a3300" variant="filled" title="Données et comptes fictifs de démonstration" style={{ flexShrink: 0 }}>
                <Box component="span" visibleFrom="sm">
                  Démonstration
                </Box>
                <Box component="span" hiddenFrom="sm">
                  Démo
                </Box>
              </Badge>
            )}
          </Group>
          {!user && location.pathname.startsWith("/extranet") && (
            <Button component={Link} to="/login" variant="outline" size="xs">
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
                size="xs"
                aria-label={`Notifications : ${data?.unreadNotifications ?? 0} non lue(s)`}
              >
                Notifications{data?.unreadNotifications ? ` (${data.unreadNotifications})` : ""}
              </Button>
              {/* On a phone the menu carries it (the header has no room). */}
              <Box visibleFrom={hasNav ? "sm" : undefined}>
                <Form method="post" action="/logout">
                  <Button type="submit" variant="outline" size="xs">
                    Se déconnecter
                  </Button>
                </Form>
              </Box>
            </Group>
          )}
        </Group>
      </AppShell.Header>
      {hasNav && (
        <AppShell.Navbar p="sm" aria-label="Navigation principale" component="nav" style={{ overflowY: "auto" }}>
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
          <Box hiddenFrom="sm" mt="md">
            <Form method="post" action="/logout">
              <Button type="submit" variant="outline" size="xs" fullWidth>
                Se déconnecter
              </Button>
            </Form>
          </Box>
        </AppShell.Navbar>
      )}
      <AppShell.Main id="contenu" tabIndex={-1}>
        {children}
      </AppShell.Main>
    </AppShell>
  );
}
