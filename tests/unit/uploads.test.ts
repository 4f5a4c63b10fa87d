import { describe, expect, it } from "vitest";
import { DomainError } from "~/server/errors.server";
import { readUploadForm } from "~/server/http/uploads.server";

const multipart = (bytes: number) => {
  const form = new FormData();
  form.set("title", "Rapport");
  form.set("file", new File([new Uint8Array(bytes)], "rapport.pdf", { type: "application/pdf" }));
  return new Request("http://localhost/workspace", { method: "POST", body: form });
};

describe("reading uploaded forms", () => {
  it("keeps a file within the limit and the other fields", async () => {
    const form = await readUploadForm(multipart(1024), 2048);
    expect(form.get("title")).toBe("Rapport");
    expect((form.get("file") as File).size).toBe(1024);
  });

  it("refuses a file above the limit with 413 and a French message on its field, as the API does", async () => {
    const error = await readUploadForm(multipart(4096), 2048).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).status).toBe(413);
    expect((error as DomainError).fieldErrors.file?.[0]).toMatch(/dépasse la taille autorisée \(2 Ko au plus\)/);
  });
});
