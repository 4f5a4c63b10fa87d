/**
 * A library loaded on its first use rather than with the server bundle or a
 * heavy-work thread's bundle (ADR 036, ADR 047): `lazyDefault(() =>
 * import("x"))` returns a function that imports the module once, on its
 * first call, and gives its default export (or the module itself when it has
 * none: a CommonJS module imported from ESM). Later calls share the same
 * promise, so concurrent first uses load it once.
 */
export function lazyDefault<T>(load: () => Promise<unknown>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => (loading ??= load().then((m) => ((m as { default?: T }).default ?? (m as T))));
}
