import { describe, expect, it } from "vitest";
import type { ReactNode } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import * as M from "@mantine/core";
import * as L from "~/ui/lite";
import { cssVariablesResolver, theme } from "~/ui/theme";

const render = (node: ReactNode) =>
  renderToStaticMarkup(
    <M.MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} withCssVariables={false} withGlobalClasses={false} forceColorScheme="light" getStyleNonce={() => "n"}>
      {node}
    </M.MantineProvider>,
  ).replace(/ id="mantine-[^"]+"/g, "");

/** ADR 038: the page frame's and busiest pages' stand-ins write the markup Mantine writes, so Mantine's stylesheet styles them the same. */
describe("the lite components render Mantine's markup", () => {
  const pairs: [string, ReactNode, ReactNode][] = [
    ["Title", <M.Title order={2}>t</M.Title>, <L.Title order={2}>t</L.Title>],
    ["Title sized with margin and id", <M.Title order={3} size="h4" id="x" mb="xs">t</M.Title>, <L.Title order={3} size="h4" id="x" mb="xs">t</L.Title>],
    ["Title clamped", <M.Title order={1} size="h4" lineClamp={1}>t</M.Title>, <L.Title order={1} size="h4" lineClamp={1}>t</L.Title>],
    ["Text", <M.Text>t</M.Text>, <L.Text>t</L.Text>],
    ["Text small dimmed", <M.Text size="sm" c="dimmed" mt={4}>t</M.Text>, <L.Text size="sm" c="dimmed" mt={4}>t</L.Text>],
    ["Text with style", <M.Text size="sm" style={{ minWidth: 0 }}>t</M.Text>, <L.Text size="sm" style={{ minWidth: 0 }}>t</L.Text>],
    ["Text as span, visible from sm", <M.Text component="span" visibleFrom="sm">t</M.Text>, <L.Text component="span" visibleFrom="sm">t</L.Text>],
    ["Group of a contributor", <M.Group gap={6} role="listitem" wrap="nowrap" style={{ minWidth: 0 }}>g</M.Group>, <L.Group gap={6} role="listitem" wrap="nowrap" style={{ minWidth: 0 }}>g</L.Group>],
    ["Text bold", <M.Text size="xs" fw={600}>t</M.Text>, <L.Text size="xs" fw={600}>t</L.Text>],
    ["Anchor", <M.Anchor href="/a" fw={600}>t</M.Anchor>, <L.Anchor href="/a" fw={600}>t</L.Anchor>],
    ["Anchor small", <M.Anchor href="/a" size="sm">t</M.Anchor>, <L.Anchor href="/a" size="sm">t</L.Anchor>],
    ["Card", <M.Card withBorder>c</M.Card>, <L.Card>c</L.Card>],
    ["Card as article", <M.Card withBorder component="article" aria-labelledby="x">c</M.Card>, <L.Card component="article" aria-labelledby="x">c</L.Card>],
    ["Stack", <M.Stack maw={960}>s</M.Stack>, <L.Stack maw={960}>s</L.Stack>],
    ["Stack centred", <M.Stack maw={1000} mx="auto" gap="xs">s</M.Stack>, <L.Stack maw={1000} mx="auto" gap="xs">s</L.Stack>],
    ["Stack tight", <M.Stack gap={0} visibleFrom="sm" align="flex-end">s</M.Stack>, <L.Stack gap={0} visibleFrom="sm" align="flex-end">s</L.Stack>],
    ["Group", <M.Group gap="sm" role="list">g</M.Group>, <L.Group gap="sm" role="list">g</L.Group>],
    ["Group of the header", <M.Group h="100%" px="md" justify="space-between" wrap="nowrap">g</M.Group>, <L.Group h="100%" px="md" justify="space-between" wrap="nowrap">g</L.Group>],
    ["Group not shrinking", <M.Group gap="sm" wrap="nowrap" style={{ flexShrink: 0 }}>g</M.Group>, <L.Group gap="sm" wrap="nowrap" style={{ flexShrink: 0 }}>g</L.Group>],
    [
      "List",
      <M.List spacing={4}>
        <M.List.Item>
          a <b>b</b>
        </M.List.Item>
        <M.List.Item>c</M.List.Item>
      </M.List>,
      <L.List spacing={4}>
        <L.ListItem>
          a <b>b</b>
        </L.ListItem>
        <L.ListItem>c</L.ListItem>
      </L.List>,
    ],
    ["Button subtle link", <M.Button component="a" href="/n" variant="subtle" size="xs" aria-label="x">b</M.Button>, <L.Button component="a" href="/n" variant="subtle" aria-label="x">b</L.Button>],
    ["Button outline submit", <M.Button type="submit" variant="outline" size="xs">b</M.Button>, <L.Button type="submit" variant="outline">b</L.Button>],
    ["Button outline full width", <M.Button type="submit" variant="outline" size="xs" fullWidth>b</M.Button>, <L.Button type="submit" variant="outline" fullWidth>b</L.Button>],
    ["NavLink", <M.NavLink component="a" href="/x" label="l" />, <L.NavLink href="/x" label="l" />],
    ["NavLink active", <M.NavLink component="a" href="/" label="l" active aria-current="page" />, <L.NavLink href="/" label="l" active aria-current="page" />],
    ["Burger closed", <M.Burger opened={false} onClick={() => {}} hiddenFrom="sm" size="sm" aria-label="o" />, <L.Burger opened={false} onClick={() => {}} aria-label="o" />],
    ["Burger opened", <M.Burger opened onClick={() => {}} hiddenFrom="sm" size="sm" aria-label="o" />, <L.Burger opened onClick={() => {}} aria-label="o" />],
    ["Badge", <M.Badge color="#8a3300" variant="filled" title="t" style={{ flexShrink: 0 }}>b</M.Badge>, <L.Badge color="#8a3300" title="t" style={{ flexShrink: 0 }}>b</L.Badge>],
  ];
  it.each(pairs)("%s", (_name, mantine, lite) => {
    expect(render(lite)).toBe(render(mantine));
  });

  it("SimpleGrid with one column, two from sm: the static class carries Mantine's generated rules", async () => {
    const html = render(<M.SimpleGrid cols={{ base: 1, sm: 2 }}>x</M.SimpleGrid>);
    const generated = /<style[^>]*>([^<]*)<\/style><div class="([^"]*) (__m__-[^"]+)">x<\/div>/.exec(html)!;
    expect(render(<L.Grid12>x</L.Grid12>)).toBe(`<div class="${generated[2]} grid-1-2">x</div>`);
    const { readFileSync } = await import("node:fs");
    const css = readFileSync("app/ui/app.css", "utf8").replace(/\s+/g, "");
    expect(css).toContain(generated[1]!.replaceAll(`.${generated[3]}`, ".grid-1-2").replace(/\s+/g, ""));
  });

  it.each([
    ["none", { header: { height: 64 }, padding: "md" }],
    ["closed", { header: { height: 64 }, navbar: { width: 260, breakpoint: "sm", collapsed: { mobile: true } }, padding: "md" }],
    ["opened", { header: { height: 64 }, navbar: { width: 260, breakpoint: "sm", collapsed: { mobile: false } }, padding: "md" }],
  ] as const)("AppShell with navigation %s", (navbar, props) => {
    const mantine = (
      <M.AppShell {...(props as M.AppShellProps)}>
        <M.AppShell.Header>h</M.AppShell.Header>
        {navbar !== "none" && (
          <M.AppShell.Navbar p="sm" aria-label="N" component="nav" style={{ overflowY: "auto" }}>
            n
          </M.AppShell.Navbar>
        )}
        <M.AppShell.Main id="contenu" tabIndex={-1}>
          m
        </M.AppShell.Main>
      </M.AppShell>
    );
    const lite = (
      <L.AppShell navbar={navbar} nonce="n">
        <L.AppShellHeader>h</L.AppShellHeader>
        {navbar !== "none" && <L.AppShellNavbar aria-label="N">n</L.AppShellNavbar>}
        <L.AppShellMain id="contenu" tabIndex={-1}>
          m
        </L.AppShellMain>
      </L.AppShell>
    );
    expect(render(lite)).toBe(render(mantine));
  });
});
