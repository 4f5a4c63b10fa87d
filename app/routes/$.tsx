import type { LoaderFunctionArgs } from "@remix-run/node";
import { pageNotFound } from "~/server/http/params.server";

/** Any unknown address: a French 404 page (rendered by the root error boundary). */
export async function loader(_args: LoaderFunctionArgs) {
  throw pageNotFound("Page introuvable");
}

export async function action() {
  throw pageNotFound("Page introuvable");
}

export default function NotFound() {
  return null;
}
