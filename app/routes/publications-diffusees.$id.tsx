import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Anchor, Stack, Text, Title } from "@mantine/core";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { getReleasedPublication } from "~/server/publications/released.server";
import { orNotFound } from "~/server/http/results.server";
import { PublicationContentView } from "~/ui/diffusion";
import { formatDate } from "~/domain/format";
import { requireParam } from "~/server/http/params.server";

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.title ?? "Publication"} — Portail ODPE` }];

/** Art. 5: a production released for the elected officials and directions (or the public), as it went out. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "read:released_publication");
  const id = requireParam(params, "id", "uuid", "Publication introuvable");
  return orNotFound(async () => getReleasedPublication(await getDb(), id));
}

export default function ReleasedPublication() {
  const { id, title, audienceLabel, publishedAt, rendered } = useLoaderData<typeof loader>();
  return (
    <Stack maw={1000} component="article">
      <Anchor component={Link} to="/publications-diffusees">
        ← Toutes les publications
      </Anchor>
      <Title order={2}>{title}</Title>
      <Text c="dimmed">
        {audienceLabel} — diffusée le {formatDate(publishedAt)} — {rendered.sources}
      </Text>
      <PublicationContentView
        view={rendered}
        attachmentUrl={(doc) => `/publications-diffusees/${id}/attachments/${doc}`}
        logoUrl={(org) => `/extranet/logos/${org}`}
      />
    </Stack>
  );
}
