import { describe, expect, it } from "vitest";
import { HeldPages, SnapshotReader, heldPageText, type HeldCapture } from "~/server/http/held-pages.server";
import { forgetHeldPages, heldPagesGeneration } from "~/server/http/held-generation.server";

/** ADR 055: the pages held in the process, and when they are served again. */
const NONCE = "b3JpZ2luYWwtbm9uY2UtMTIzNA==";
const REQUEST_ID = "6f1c2f0e-3a0b-4c1e-9d55-1d2b7c9e0a11";
const html = `<html><script nonce="${NONCE}">window.x=1</script><p>Bonjour</p><script nonce="${NONCE}">{"requestId":"${REQUEST_ID}"}</script></html>`;

function capture(over: Partial<HeldCapture> = {}): HeldCapture {
  return {
    key: "localhost\n/\nodpe_session=a.b",
    snapshot: "100:100:",
    generation: heldPagesGeneration(),
    day: "2026-12-07",
    userId: "u1",
    sessionId: "s1",
    tokens: [NONCE, REQUEST_ID],
    ...over,
  };
}

const at = (c: HeldCapture) => ({ snapshot: c.snapshot, generation: c.generation, day: c.day, userId: c.userId, sessionId: c.sessionId });
const headers = () => new Headers({ "Content-Type": "text/html; charset=utf-8" });

function held(snapshot = "100:100:") {
  const store = new HeldPages(async () => snapshot);
  store.observe(snapshot);
  return store;
}

describe("pages held in the process (ADR 055)", () => {
  it("serves a held page with this request's nonce and request id, never the render's", () => {
    const store = held();
    const c = capture();
    expect(store.hold(c, html, headers())).toBe(true);
    const page = store.get(c.key, at(c));
    expect(page).toBeDefined();
    const text = heldPageText(page!, ["bm91dmVhdS1ub25jZS01Njc4OTA=", "0e9a7c2b-1d55-4c1e-9d55-aaaaaaaaaaaa"]);
    expect(text).not.toContain(NONCE);
    expect(text).not.toContain(REQUEST_ID);
    expect(text).toBe(html.replaceAll(NONCE, "bm91dmVhdS1ub25jZS01Njc4OTA=").replaceAll(REQUEST_ID, "0e9a7c2b-1d55-4c1e-9d55-aaaaaaaaaaaa"));
    expect(page!.headers).toContainEqual(["content-type", "text/html; charset=utf-8"]);
  });

  it("a transaction ended anywhere (another snapshot read) drops every held page", () => {
    const store = held();
    const c = capture();
    store.hold(c, html, headers());
    store.observe("100:101:");
    expect(store.size).toBe(0);
    expect(store.get(c.key, { ...at(c), snapshot: "100:101:" })).toBeUndefined();
    // A request whose read came before the latest one: nothing is served to it.
    expect(store.get(c.key, at(c))).toBeUndefined();
  });

  it("the snapshots read are observed in the order the reads were sent, each answer as it comes", async () => {
    let n = 0;
    const store = new HeldPages(async () => `100:${100 + ++n}:`);
    const first = await store.snapshots.read();
    const c = capture({ snapshot: first });
    expect(store.hold(c, html, headers())).toBe(true);
    expect(store.get(c.key, at(c))).toBeDefined();
    await store.snapshots.read();
    expect(store.size).toBe(0);
  });

  it("a render that began before a commit seen since is not held", () => {
    const store = held();
    const c = capture();
    store.observe("100:101:");
    expect(store.hold(c, html, headers())).toBe(false);
    expect(store.size).toBe(0);
  });

  it("a cache emptied by a notification (another instance's change) drops the pages and the renders under way", () => {
    const store = held();
    const before = capture();
    const underWay = capture({ key: "other" });
    store.hold(before, html, headers());
    forgetHeldPages();
    // The same request as the render's (its generation read before the change): not served either.
    expect(store.get(before.key, at(before))).toBeUndefined();
    store.hold(before, html, headers());
    expect(store.size).toBe(0);
    expect(store.hold(underWay, html, headers())).toBe(false);
  });

  it("another day, another user or another session of the key: not served", () => {
    const store = held();
    const c = capture();
    for (const other of [{ day: "2026-12-08" }, { userId: "u2" }, { sessionId: "s2" }, { userId: null, sessionId: null }]) {
      store.hold(c, html, headers());
      expect(store.get(c.key, { ...at(c), ...other }), JSON.stringify(other)).toBeUndefined();
    }
  });

  it("held 60 s at most", () => {
    const store = held();
    const c = capture();
    store.hold(c, html, headers(), 1_000);
    expect(store.get(c.key, at(c), 60_999)).toBeDefined();
    expect(store.get(c.key, at(c), 61_000)).toBeUndefined();
  });

  it("never holds a page that sets a cookie, nor one whose per-request values are too short to split on", () => {
    const store = held();
    expect(store.hold(capture(), html, new Headers({ "Set-Cookie": "odpe_session=x" }))).toBe(false);
    expect(store.hold(capture({ tokens: [NONCE, "req-1234"] }), html, headers())).toBe(false);
    expect(store.size).toBe(0);
  });

  it("a request id chosen by the client to match some text of the page: not held (the page carries its request id once)", () => {
    const store = held();
    const text = "data-mantine-color-scheme";
    const page = `<html ${text}="light"><script nonce="${NONCE}">{"requestId":"${text}"}</script></html>`;
    expect(store.hold(capture({ tokens: [NONCE, text] }), page, headers())).toBe(false);
    // Not in the page at all (a root that no longer shows it): not held either.
    expect(store.hold(capture(), `<p nonce="${NONCE}">x</p>`, headers())).toBe(false);
    expect(store.size).toBe(0);
  });

  it("holds 1,000 pages at most, the least recently served dropped first", () => {
    const store = held();
    for (let i = 0; i < 1_001; i++) store.hold(capture({ key: `k${i}` }), html, headers());
    expect(store.size).toBe(1_000);
    expect(store.get("k0", at(capture()))).toBeUndefined();
    expect(store.get("k1", at(capture()))).toBeDefined();
    store.hold(capture({ key: "k1001" }), html, headers());
    // k1 was just served: k2 went instead.
    expect(store.get("k1", at(capture()))).toBeDefined();
    expect(store.get("k2", at(capture()))).toBeUndefined();
  });

  it("learns the paths whose renders may be held, and only those", () => {
    const store = held();
    expect(store.mayHold("/")).toBe(false);
    store.learn("/");
    expect(store.mayHold("/")).toBe(true);
    expect(store.mayHold("/audit")).toBe(false);
  });

  it("a key is held from its second request on: the first only teaches that it was requested", () => {
    const store = held();
    expect(store.seenBefore("k")).toBe(false);
    expect(store.seenBefore("k")).toBe(true);
    expect(store.seenBefore("other")).toBe(false);
  });

});

describe("the snapshot read once for the requests waiting (ADR 055)", () => {
  it("a request arriving while a read runs gets the next read, sent after it arrived, never the running one", async () => {
    const resolvers: ((value: string) => void)[] = [];
    let sent = 0;
    const wal = new SnapshotReader(() => {
      sent++;
      return new Promise<string>((resolve) => resolvers.push(resolve));
    });
    const first = wal.read();
    const second = wal.read();
    const third = wal.read();
    expect(sent).toBe(1);
    // A commit lands here; the running read had already been answered before it.
    resolvers[0]!("1:1:");
    expect(await first).toBe("1:1:");
    await new Promise((resolve) => setImmediate(resolve));
    expect(sent).toBe(2);
    resolvers[1]!("1:2:");
    expect(await second).toBe("1:2:");
    expect(await third).toBe("1:2:");
    // Nothing running: a read of its own.
    const fourth = wal.read();
    expect(sent).toBe(3);
    resolvers[2]!("1:3:");
    expect(await fourth).toBe("1:3:");
  });

  it("a failed read fails its requests, and the next ones read again", async () => {
    let calls = 0;
    const wal = new SnapshotReader(async () => {
      calls++;
      if (calls === 1) throw new Error("connexion perdue");
      return "7:7:";
    });
    const failing = wal.read();
    const next = wal.read();
    await expect(failing).rejects.toThrow("connexion perdue");
    expect(await next).toBe("7:7:");
  });
});
