import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from "kysely";

/**
 * This process's own changes to what a session check reads (ADR 035): every
 * Kysely handle carries this plugin (db.server.ts), which sees each UPDATE,
 * DELETE or raw statement naming `user_session`, `app_user`,
 * `organisation` or `observatory` (or INSERT into `observatory`) before it runs and tells the session caches of this process
 * at once. Other instances hear the same change from the triggers' NOTIFY at
 * commit (migration 2026120616_session_notify); this closes the window in
 * which this process would otherwise wait for its own notification.
 */
const TABLES = /"name":"(user_session|app_user|organisation|observatory)"/;
const INSERTED = /"name":"observatory"/;
const RAW = /\b(update|delete\s+from|truncate(\s+table)?|insert\s+into)\s+("?\w+"?\.)?"?(user_session|app_user|organisation|observatory)\b/i;

const hooks = new Set<() => void>();

/** Registers `hook` (a session cache's local invalidation); returns its unregistration. */
export function onLocalSessionChange(hook: () => void): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

function touchesSessions(node: RootOperationNode): boolean {
  switch (node.kind) {
    case "UpdateQueryNode":
      return TABLES.test(JSON.stringify(node.table));
    case "DeleteQueryNode":
      return TABLES.test(JSON.stringify(node.from));
    case "InsertQueryNode":
      return INSERTED.test(JSON.stringify(node.into));
    case "RawNode":
      return node.sqlFragments.some((fragment) => RAW.test(fragment));
    default:
      return false;
  }
}

export const sessionChangeWatcher: KyselyPlugin = {
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (hooks.size > 0 && touchesSessions(node)) for (const hook of hooks) hook();
    return node;
  },
  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result;
  },
};
