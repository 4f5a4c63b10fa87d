import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "~/server/env.server";
import { applyTrustProxy } from "~/server/http/platform.server";

/**
 * ADR 017 — the client address (login throttling per IP, the audit
 * trail's IP) is the one the trusted proxy chain saw: a client cannot choose it
 * with a spoofed leftmost X-Forwarded-For.
 */
function appWith(trustProxy: string | undefined) {
  const app = express();
  applyTrustProxy(app, parseEnv(trustProxy === undefined ? {} : { TRUST_PROXY: trustProxy }).TRUST_PROXY);
  app.get("/ip", (req, res) => {
    res.type("text/plain").send(req.ip);
  });
  return app;
}

const servers: { close(): void }[] = [];
const urls = new Map<string, string>();
const settings = ["unset", "1", "2", "127.0.0.1", "127.0.0.0/8,10.0.0.0/8", "loopback,192.168.1.1", "10.0.0.0/8"];
beforeAll(async () => {
  for (const setting of settings) {
    const app = appWith(setting === "unset" ? undefined : setting);
    await new Promise<void>((resolve) => {
      const server = app.listen(0, "127.0.0.1", () => {
        urls.set(setting, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
        resolve();
      });
      servers.push(server);
    });
  }
});
afterAll(() => {
  for (const server of servers) server.close();
});

const clientIp = async (setting: string, xff?: string) =>
  (await fetch(`${urls.get(setting)}/ip`, { headers: xff === undefined ? {} : { "X-Forwarded-For": xff } })).text();

describe("TRUST_PROXY: the client address as the trusted proxies see it (ADR 017)", () => {
  // The test client connects from 127.0.0.1: that is the socket (the « proxy » for these cases).
  it("unset: X-Forwarded-For is ignored, the socket address is the client", async () => {
    expect(await clientIp("unset", "6.6.6.6")).toMatch(/127\.0\.0\.1$/);
  });

  it("a hop count of 1: the address our proxy appended is the client, a spoofed leftmost one is ignored", async () => {
    // The client sent « X-Forwarded-For: 6.6.6.6 »; the proxy appended the address it saw (203.0.113.7).
    expect(await clientIp("1", "6.6.6.6, 203.0.113.7")).toBe("203.0.113.7");
    expect(await clientIp("1", "203.0.113.7")).toBe("203.0.113.7");
    expect(await clientIp("2", "6.6.6.6, 203.0.113.7, 10.0.0.2")).toBe("203.0.113.7");
  });

  it("a list of proxy addresses/CIDRs: walks right to left through trusted proxies only", async () => {
    expect(await clientIp("127.0.0.1", "6.6.6.6, 203.0.113.7")).toBe("203.0.113.7");
    expect(await clientIp("127.0.0.0/8,10.0.0.0/8", "6.6.6.6, 203.0.113.7, 10.1.2.3")).toBe("203.0.113.7");
    expect(await clientIp("loopback,192.168.1.1", "6.6.6.6, 203.0.113.7, 192.168.1.1")).toBe("203.0.113.7");
    // A spoofed hop that claims to be a trusted proxy in the middle is still the client's own claim only
    // when the proxy that appended it is not trusted: here the socket (127.0.0.1) is not in 10.0.0.0/8.
    expect(await clientIp("10.0.0.0/8", "6.6.6.6, 10.0.0.1")).toMatch(/127\.0\.0\.1$/);
  });

  it.each(["true", "yes", "11", "10.0.0.0/33", "300.1.1.1", "10.0.0.0/8,nope", "*", ","])("refuses TRUST_PROXY=%s with a French and English reason", (value) => {
    let caught: unknown;
    try {
      parseEnv({ TRUST_PROXY: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EnvError);
    expect((caught as EnvError).variable).toBe("TRUST_PROXY");
    expect((caught as Error).message).toMatch(/TRUST_PROXY doit être un nombre de proxys .* Invalid configuration: TRUST_PROXY must be a hop count/);
  });

  it.each([
    ["0", false],
    ["false", false],
    ["1", 1],
    ["10.0.0.0/8, 192.168.1.1", ["10.0.0.0/8", "192.168.1.1"]],
    ["::1,fd00::/8", ["::1", "fd00::/8"]],
  ])("accepts TRUST_PROXY=%s", (value, expected) => {
    expect(parseEnv({ TRUST_PROXY: value }).TRUST_PROXY).toEqual(expected);
  });
});
