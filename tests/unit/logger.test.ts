import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "~/server/logger.server";

describe("logger never writes secrets", () => {
  it("redacts passwords, tokens, cookies and authorization headers", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger("info", sink);
    log.info({ password: "hunter2-secret", token: "tok_abc", req: { headers: { authorization: "Bearer sk_live", cookie: "odpe_session=abc" } } }, "login");
    const out = lines.join("");
    expect(out).toContain("login");
    for (const secret of ["hunter2-secret", "tok_abc", "sk_live", "odpe_session=abc"]) expect(out).not.toContain(secret);
    expect(out).toContain("[masqué]");
  });
});
