import type { AppLoadContext, EntryContext } from "@remix-run/node";
import { createReadableStreamFromReadable } from "@remix-run/node";
import { RemixServer } from "@remix-run/react";
import { isbot } from "isbot";
import { renderToPipeableStream } from "react-dom/server";
import { NonceProvider } from "./ui/nonce";
import { CoalescingStream } from "./server/http/coalesce.server";
import { holdableRender } from "./server/http/held-pages.server";

export * as platform from "./server/http/platform.server";

const ABORT_DELAY = 5_000;

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  remixContext: EntryContext,
  loadContext: AppLoadContext,
) {
  const bot = isbot(request.headers.get("user-agent") || "");
  const nonce = loadContext.cspNonce;
  return new Promise((resolve, reject) => {
    let shellRendered = false;
    let failed = false;
    // Aborts a render still pending after ABORT_DELAY; cleared once React has
    // written everything, so a finished render is not kept alive by its timer.
    let abortRender = () => {};
    const abortTimer = setTimeout(() => abortRender(), ABORT_DELAY);
    const { pipe, abort } = renderToPipeableStream(
      <NonceProvider value={nonce}>
        <RemixServer context={remixContext} url={request.url} abortDelay={ABORT_DELAY} nonce={nonce} />
      </NonceProvider>,
      {
        nonce,
        [bot ? "onAllReady" : "onShellReady"]() {
          shellRendered = true;
          // A page its routes allow to hold (ADR 055): a copy of what is sent, held once complete and without error.
          const capture = holdableRender(loadContext.held, remixContext, responseStatusCode);
          const chunks: Buffer[] = [];
          const body = new CoalescingStream(capture ? (chunk) => chunks.push(chunk) : undefined);
          body.once("finish", () => {
            clearTimeout(abortTimer);
            if (capture && !failed) {
              loadContext.held!.store.hold(capture, Buffer.concat(chunks).toString("utf8"), responseHeaders);
            }
          });
          responseHeaders.set("Content-Type", "text/html; charset=utf-8");
          resolve(
            new Response(createReadableStreamFromReadable(body), {
              headers: responseHeaders,
              status: responseStatusCode,
            }),
          );
          pipe(body);
        },
        onShellError(error: unknown) {
          clearTimeout(abortTimer);
          reject(error);
        },
        onError(error: unknown) {
          failed = true;
          responseStatusCode = 500;
          if (shellRendered) console.error(error);
        },
      },
    );
    abortRender = abort;
  });
}
