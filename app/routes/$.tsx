import type { LoaderFunctionArgs } from "@remix-run/node";

/** Any unknown address: a French 404 page (rendered by the root error boundary). */
export async function loader(_args: LoaderFunctionArgs) {
  throw new Response("Page introuvable", { status: 404 });
}

export async function action() {
  throw new Response("Page introuvable", { status: 404 });
}

export default function NotFound() {
  return null;
}
