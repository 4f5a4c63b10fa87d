import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { Anchor, Stack, Text, Title } from "@mantine/core";
import { getDb } from "~/server/runtime.server";
import { getExtranetPublication } from "~/server/publications/publication-queries.server";
import { orNotFound } from "~/server/http/results.server";
import { PublicationContentView } from "~/ui/diffusion";
import { formatDate } from "~/domain/format";
import { requireParam } from "~/server/http/params.server";
import { HELD_PAGE } from "~/domain/held-page";

/** Its pages are held while nothing they show has changed (ADR 055). */
export const handle = HELD_PAGE;

export const meta: MetaFunction<typeof loader> = ({ data }) => [{ title: `${data?.rendered.title ?? "Publication"} — Extranet de l'observatoire` }];

/** A published publication, open to all: statistical secrecy applied on the server, sources and contributors shown. */
export async function loader({ params }: LoaderFunctionArgs) {
  const id = requireParam(params, "id", "uuid", "Publication introuvable");
  return orNotFound(async () => getExtranetPublication(await getDb(), id));
}

export default function ExtranetPublication() {
  const { id, publishedAt, rendered } = useLoaderData<typeof loader>();
  return (
    <Stack maw={1000} mx="auto" component="article">
      <Anchor component={Link} to="/extranet">
        ← Toutes les publications
      </Anchor>
      <Title order={2}>{rendered.title}</Title>
      <Text c="dimmed">Publiée le {formatDate(publishedAt)} — {rendered.sources}</Text>
      <PublicationContentView
        view={rendered}
        attachmentUrl={(doc) => `/extranet/publications/${id}/attachments/${doc}`}
        logoUrl={(org) => `/extranet/logos/${org}`}
      />
    </Stack>
  );
}
