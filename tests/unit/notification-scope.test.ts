import { describe, expect, it } from "vitest";
import { notificationScope } from "~/server/artefacts/artefact-cache.server";

describe("notificationScope: a channel is shared by every schema of a database (ADR 035, ADR 040)", () => {
  it("gives the scope of a message of this schema", () => {
    expect(notificationScope("schema=public;organisation", "public")).toBe("organisation");
    expect(notificationScope("schema=t_1a2b;report:2024", "t_1a2b")).toBe("report:2024");
  });

  it("ignores a message naming another schema", () => {
    expect(notificationScope("schema=other;user_session", "public")).toBeNull();
    expect(notificationScope("schema=;user_session", "public")).toBeNull();
  });

  it("takes a message without a schema (an older instance during an upgrade) as this schema's", () => {
    expect(notificationScope("organisation", "public")).toBe("organisation");
    expect(notificationScope("report:2024", "public")).toBe("report:2024");
  });
});
