import type { LoaderFunctionArgs } from "@remix-run/node";
import { z } from "zod";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { getMinutes } from "~/server/governance/governance.server";
import { fileResponse, getFile } from "~/server/storage/files.server";
import { orNotFound } from "~/server/http/results.server";

const meetingId = (id: string | undefined) => {
  const parsed = z.uuid().safeParse(id);
  if (!parsed.success) throw new Response("Réunion introuvable", { status: 404 });
  return parsed.data;
};

/** The minutes of a meeting (Art. 2), for every member allowed to read the governance records. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  await requirePermission(request, "read:governance");
  const id = meetingId(params.id);
  const db = await getDb();
  const fileId = await orNotFound(() => getMinutes(db, id));
  const file = await getFile(db, fileId);
  if (!file) throw new Response("Compte rendu introuvable", { status: 404 });
  return fileResponse(file, { download: true });
}
