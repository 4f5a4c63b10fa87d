import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { Anchor, Stack, Text, Title } from "@mantine/core";
import { actorOf, requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { createCampaign, listCampaigns } from "~/server/campaigns/campaigns.server";
import { formFailure, parseForm } from "~/server/http/forms.server";
import { campaignFormSchema, DEFAULT_REMINDER_DAYS_AFTER, DEFAULT_REMINDER_DAYS_BEFORE } from "~/domain/campaigns";
import { addDays, todayIso, yearOf } from "~/domain/dates";
import { CampaignForm } from "~/ui/CampaignForm";

export const meta: MetaFunction = () => [{ title: "Nouvelle campagne — Portail ODPE" }];

export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "manage:campaign");
  const campaigns = await listCampaigns(await getDb());
  const today = todayIso();
  const latest = campaigns[0]?.reference_year;
  return {
    defaults: {
      reference_year: latest ? latest + 1 : yearOf(today) - 1,
      opens_on: today,
      deadline: addDays(today, 75),
      reminder_days_before: [...DEFAULT_REMINDER_DAYS_BEFORE],
      reminder_days_after: [...DEFAULT_REMINDER_DAYS_AFTER],
      note: null,
    },
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const user = await requirePermission(request, "manage:campaign");
  let year: number;
  try {
    const input = parseForm(campaignFormSchema, await request.formData());
    await createCampaign(await getDb(), actorOf(user, context), input);
    year = input.referenceYear;
  } catch (error) {
    return formFailure(error);
  }
  return redirect(`/campaigns/${year}?created=1`);
}

export default function NewCampaignPage() {
  const { defaults } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <Stack>
      <Anchor component={Link} to="/campaigns">
        ← Campagnes de collecte
      </Anchor>
      <Title order={2}>Nouvelle campagne</Title>
      <Text>
        La campagne est créée en préparation : vous l'ouvrirez ensuite, ce qui crée les transmissions attendues et affiche les
        échéances aux partenaires. Relances par défaut : 14 et 3 jours avant l'échéance, 1 jour après.
      </Text>
      <CampaignForm defaults={defaults} result={result ? { ...result, message: null } : null} submitLabel="Créer la campagne" />
    </Stack>
  );
}
