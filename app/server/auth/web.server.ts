import type { AppLoadContext } from "@remix-run/node";
import { getEnv } from "../env.server";
import { getDb } from "../runtime.server";
import { actorOf, auditContext, getOptionalUser, getSessionManager } from "./authorize.server";
import { login, logout } from "./login.server";
import { safeRedirectTarget } from "../http/redirect-target.server";

/** Web glue for the login/logout pages: reads the request, calls the use case. */
export async function loginFromRequest(request: Request, context: AppLoadContext, email: string, password: string) {
  const env = getEnv();
  const sessions = await getSessionManager();
  return login(
    await getDb(),
    sessions,
    {
      maxPerAccount: env.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      maxPerIp: env.LOGIN_MAX_FAILURES_PER_IP,
      windowMinutes: env.LOGIN_WINDOW_MINUTES,
    },
    auditContext(null, context),
    {
      email,
      password,
      ip: context.ip ?? "inconnue",
      userAgent: request.headers.get("User-Agent"),
      previousSessionToken: sessions.readSessionToken(request.headers.get("Cookie")),
    },
  );
}

/** Ends the current session (if any) and returns the Set-Cookie that clears it. */
export async function logoutFromRequest(request: Request, context: AppLoadContext): Promise<string> {
  const sessions = await getSessionManager();
  const user = await getOptionalUser(request);
  if (!user) return sessions.blankCookie();
  return logout(await getDb(), sessions, actorOf(user, context), user.sessionId);
}

/** The post-login target: a known route of the portal's own origin, or home (redirect-target.server.ts). */
export function loginRedirectTarget(request: Request, value: unknown): string {
  return safeRedirectTarget(value, getEnv().PUBLIC_URL ?? new URL(request.url).origin);
}
