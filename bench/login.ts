import { DEMO_PASSWORD } from "~/server/observatory/seed.server";

/**
 * Signs `email` in through the running server's login form (a real POST, as
 * a browser sends it: same-origin Origin header) and returns the session
 * cookie (`name=value`) to send with the measured requests. Shared by the
 * benchmarks that measure signed-in pages (bench/load.ts, bench/pages.ts,
 * bench/dashboard.ts). Throws unless the server answers the redirect of a
 * successful sign-in with a cookie.
 */
export async function login(url: string, email: string, password: string = DEMO_PASSWORD): Promise<string> {
  const response = await fetch(`${url}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: url },
    body: new URLSearchParams({ email, password, redirectTo: "/" }),
  });
  const cookie = response.headers.get("set-cookie")?.split(";")[0];
  if (response.status !== 302 || !cookie) throw new Error(`login of ${email} failed (${response.status})`);
  return cookie;
}
