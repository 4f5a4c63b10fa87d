import type { LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { requirePermission } from "~/server/auth/authorize.server";
import { getDb } from "~/server/runtime.server";
import { ANY_ORGANISATION } from "~/domain/permissions";

/** The board of the most recent campaign that is not a draft. */
export async function loader({ request }: LoaderFunctionArgs) {
  await requirePermission(request, "read:submission", ANY_ORGANISATION);
  const db = await getDb();
  const latest = await db.selectFrom("campaign").select("reference_year").where("status", "!=", "draft").orderBy("reference_year", "desc").executeTakeFirst();
  if (!latest) throw redirect("/campaigns");
  throw redirect(`/completeness/${latest.reference_year}`);
}
