import { describe, expect, it } from "vitest";
import { CoalescingStream } from "~/server/http/coalesce.server";

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

function collect(stream: CoalescingStream) {
  const chunks: string[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk.toString("utf8")));
  const ended = new Promise<void>((resolve) => stream.on("end", () => resolve()));
  return { chunks, ended };
}

describe("CoalescingStream (server rendering → compression → socket)", () => {
  it("passes on everything written in one turn as one chunk", async () => {
    const stream = new CoalescingStream();
    const { chunks, ended } = collect(stream);
    for (let i = 0; i < 50; i++) stream.write(`<p>${i}</p>`);
    stream.end();
    await ended;
    expect(chunks).toEqual([Array.from({ length: 50 }, (_, i) => `<p>${i}</p>`).join("")]);
  });

  it("sends what is written in a later turn (deferred content) as soon as that turn ends, before the stream ends", async () => {
    const stream = new CoalescingStream();
    const { chunks, ended } = collect(stream);
    stream.write("<html>");
    stream.write("<body>");
    await nextTurn();
    await nextTurn();
    expect(chunks).toEqual(["<html><body>"]);
    stream.write("<div>différé</div>");
    await nextTurn();
    await nextTurn();
    expect(chunks).toEqual(["<html><body>", "<div>différé</div>"]);
    stream.write("</body>");
    stream.end("</html>");
    await ended;
    expect(chunks).toEqual(["<html><body>", "<div>différé</div>", "</body></html>"]);
  });

  it("keeps multi-byte characters intact across the pieces it joins", async () => {
    const stream = new CoalescingStream();
    const { chunks, ended } = collect(stream);
    const bytes = Buffer.from("Protection de l'enfance — données", "utf8");
    stream.write(bytes.subarray(0, 25));
    stream.write(bytes.subarray(25));
    stream.end();
    await ended;
    expect(chunks.join("")).toBe("Protection de l'enfance — données");
  });
});
