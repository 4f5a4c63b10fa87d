import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startProductionServer, type ProductionServer } from "../support/production-server";

/**
 * The server's stop (ADR 054): on SIGTERM it takes no new connection, lets a
 * request in flight end and be answered, then stops the queue, the threads
 * and the database and exits 0; a request that would hold the stop beyond half
 * of SHUTDOWN_TIMEOUT_SECONDS has its connection cut, and the process still
 * exits. The request in flight is a form POST whose body is sent in two halves
 * around the signal (raw socket), so that it is surely in flight when the
 * signal arrives.
 */
let server: ProductionServer | undefined;
let dataDir: string | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

async function start(env: Record<string, string> = {}) {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-shutdown-"));
  server = await startProductionServer({ env: { DATABASE_URL: undefined, DATA_DIR: dataDir, APP_MODE: "demo", LOG_LEVEL: "warn", ...env }, timeoutMs: 120_000, build: false });
  return server;
}

/** A login form POST whose body's first half is sent at once; `finish()` sends the rest and resolves with the response's status line. */
function slowPost(s: ProductionServer) {
  const body = "email=personne%40exemple.fr&password=mot-de-passe-faux";
  const socket = net.connect(s.port, "127.0.0.1");
  let received = "";
  const ended = new Promise<string>((resolve) => {
    socket.on("data", (d) => {
      received += d;
      // The status line and headers are in: enough (the connection is closed by the server or here).
      if (received.includes("\r\n\r\n")) socket.destroy();
    });
    socket.on("close", () => resolve(received));
    socket.on("error", () => resolve(received));
  });
  const connected = new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  const half = Math.floor(body.length / 2);
  return connected.then(() => {
    socket.write(
      `POST /login HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nOrigin: ${s.url}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, half)}`,
    );
    return {
      finish: () => {
        socket.write(body.slice(half));
        return ended.then((text) => text.split("\r\n")[0] ?? "");
      },
      ended: () => ended.then((text) => text.split("\r\n")[0] ?? ""),
    };
  });
}

const exitOf = (s: ProductionServer) =>
  new Promise<number | string | null>((resolve) => {
    if (s.child.exitCode !== null || s.child.signalCode !== null) resolve(s.child.exitCode ?? s.child.signalCode);
    else s.child.once("exit", (code, signal) => resolve(code ?? signal));
  });

describe("the server's stop (ADR 054)", () => {
  it("lets a request in flight end and be answered, takes no new connection, then exits 0", async () => {
    const s = await start();
    const post = await slowPost(s);
    const exited = exitOf(s);
    s.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    // Still running: the request in flight holds the stop; a new connection is refused.
    expect(s.child.exitCode).toBeNull();
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
    const status = await post.finish();
    expect(status).toMatch(/^HTTP\/1\.1 (200|302|303|400|401|429)/);
    expect(await exited).toBe(0);
    expect(s.output()).not.toMatch(/shutdown did not end in time/);
  });

  it("cuts a request that would hold the stop past half of SHUTDOWN_TIMEOUT_SECONDS, and still exits 0", async () => {
    const s = await start({ SHUTDOWN_TIMEOUT_SECONDS: "2" });
    const post = await slowPost(s);
    const exited = exitOf(s);
    const t = performance.now();
    s.child.kill("SIGTERM");
    // The body's second half never comes: the connection is cut about 1 s after the signal.
    expect(await post.ended()).toBe("");
    expect(await exited).toBe(0);
    expect(performance.now() - t).toBeGreaterThanOrEqual(900);
    expect(performance.now() - t).toBeLessThan(10_000);
  });
});
