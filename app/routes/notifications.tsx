import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { data } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { Anchor, Badge, Button, Card, Group, Stack, Text, Title, VisuallyHidden } from "@mantine/core";
import { z } from "zod";
import { requireUser } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { formFailure, parseForm } from "~/server/http/forms.server";
import { countUnreadNotifications, listNotifications, markNotificationsRead } from "~/server/notifications/notifications.server";
import { formatDateTime } from "~/domain/format";

export const meta: MetaFunction = () => [{ title: "Notifications — Portail ODPE" }];

const querySchema = z.object({
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
  unread: z.literal("1").optional().catch(undefined),
});

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  const query = querySchema.parse(Object.fromEntries(new URL(request.url).searchParams));
  const db = await getDb();
  const [{ notifications, hasMore }, unreadCount] = await Promise.all([
    listNotifications(db, user.id, { page: query.page, unreadOnly: query.unread === "1" }),
    countUnreadNotifications(db, user.id),
  ]);
  return { notifications, hasMore, unreadCount, page: query.page, unreadOnly: query.unread === "1" };
}

const actionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("read"), id: z.uuid({ error: "Notification inconnue." }) }),
  z.object({ intent: z.literal("read-all") }),
]);

export async function action({ request }: ActionFunctionArgs) {
  const user = await requireUser(request);
  try {
    const input = parseForm(actionSchema, await request.formData());
    const changed = await markNotificationsRead(await getDb(), user.id, input.intent === "read-all" ? "all" : { ids: [input.id] });
    return data({ ok: true as const, changed, formError: null, fieldErrors: {} as Record<string, string[]> });
  } catch (error) {
    return formFailure(error);
  }
}

export default function NotificationsPage() {
  const { notifications, hasMore, unreadCount, page, unreadOnly } = useLoaderData<typeof loader>();
  const pageLink = (target: number) => `/notifications?${new URLSearchParams({ ...(unreadOnly ? { unread: "1" } : {}), page: String(target) })}`;
  return (
    <Stack maw={880}>
      <Group justify="space-between" align="flex-end">
        <Title order={2}>Notifications</Title>
        <Text role="status">{unreadCount === 0 ? "Aucune notification non lue." : `${unreadCount} notification(s) non lue(s).`}</Text>
      </Group>
      <Group>
        <Anchor component={Link} to={unreadOnly ? "/notifications" : "/notifications?unread=1"}>
          {unreadOnly ? "Afficher toutes les notifications" : "Afficher seulement les non lues"}
        </Anchor>
        {unreadCount > 0 && (
          <Form method="post">
            <input type="hidden" name="intent" value="read-all" />
            <Button type="submit" variant="outline" size="xs">
              Tout marquer comme lu
            </Button>
          </Form>
        )}
      </Group>
      {notifications.length === 0 && <Text>{unreadOnly ? "Vous avez tout lu." : "Vous n'avez reçu aucune notification."}</Text>}
      <Stack component="ul" gap="sm" p={0} style={{ listStyle: "none" }} aria-label="Vos notifications">
        {notifications.map((n) => (
          <Card component="li" key={n.id} withBorder>
            <Group justify="space-between" align="flex-start" wrap="nowrap">
              <Stack gap={4}>
                <Group gap="xs">
                  <Title order={3} size="h5">
                    {n.title}
                  </Title>
                  {!n.read_at && (
                    <Badge color="blue.9" variant="filled" size="sm">
                      Non lue
                    </Badge>
                  )}
                </Group>
                {n.body && <Text size="sm">{n.body}</Text>}
                <Text size="xs" c="dimmed">
                  {formatDateTime(n.created_at)}
                </Text>
                {n.link && (
                  <Anchor component={Link} to={n.link} size="sm">
                    Ouvrir
                    <VisuallyHidden> : {n.title}</VisuallyHidden>
                  </Anchor>
                )}
              </Stack>
              {!n.read_at && (
                <Form method="post">
                  <input type="hidden" name="intent" value="read" />
                  <input type="hidden" name="id" value={n.id} />
                  <Button type="submit" variant="subtle" size="xs" aria-label={`Marquer comme lue : ${n.title}`}>
                    Marquer comme lue
                  </Button>
                </Form>
              )}
            </Group>
          </Card>
        ))}
      </Stack>
      <Group>
        {page > 1 && (
          <Anchor component={Link} to={pageLink(page - 1)}>
            ← Page précédente
          </Anchor>
        )}
        {hasMore && (
          <Anchor component={Link} to={pageLink(page + 1)}>
            Page suivante →
          </Anchor>
        )}
      </Group>
    </Stack>
  );
}
