import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { logoutFromRequest } from "~/server/auth/web.server";

export async function loader() {
  // Logging out changes state: only by POST (the header's button).
  return redirect("/");
}

export async function action({ request, context }: ActionFunctionArgs) {
  const cookie = await logoutFromRequest(request, context);
  return redirect("/login", { headers: { "Set-Cookie": cookie } });
}
