import { execFile, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./production-server";

/**
 * A throwaway PostgreSQL cluster for fault tests: its own data folder in a
 * temporary directory, listening on a free port of 127.0.0.1 only, trust
 * authentication, superuser `postgres`. The test may stop it (`immediate`
 * simulates a crash: no checkpoint, crash recovery at the next start) and
 * start it again while the portal keeps running; the machine's shared
 * PostgreSQL is never touched.
 *
 * The server binaries come from PG_BINDIR, else the newest
 * /usr/lib/postgresql/<version>/bin (Debian, Ubuntu), else the PATH. As root,
 * every command runs as the `postgres` OS user (`runuser`), since PostgreSQL
 * refuses to run as root; otherwise as the current user.
 */
export interface PgCluster {
  readonly port: number;
  /** Connection string to `database` (default `postgres`). */
  url(database?: string): string;
  /** Starts the server and waits until it accepts connections (crash recovery included). */
  start(): Promise<void>;
  /** `immediate`: kills the server without a shutdown checkpoint (a crash); `fast`: disconnects clients, clean shutdown. */
  stop(mode: "immediate" | "fast"): Promise<void>;
  readonly running: boolean;
  /** Stops the server if running and deletes its folder. */
  remove(): Promise<void>;
  /** The server's log, for failure messages. */
  log(): string;
}

const COMMAND_TIMEOUT_MS = 60_000;

/** Where initdb and pg_ctl live; a clear error when PostgreSQL's server binaries are not installed. */
export function findPgBinDir(): string {
  const candidates: string[] = [];
  if (process.env.PG_BINDIR) candidates.push(process.env.PG_BINDIR);
  const debianRoot = "/usr/lib/postgresql";
  if (fs.existsSync(debianRoot)) {
    const versions = fs
      .readdirSync(debianRoot)
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => path.join(debianRoot, v, "bin")));
  }
  candidates.push(...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean));
  const found = candidates.find((dir) => isExecutable(path.join(dir, "initdb")) && isExecutable(path.join(dir, "pg_ctl")));
  if (!found) {
    throw new Error(
      "PostgreSQL server binaries (initdb, pg_ctl) not found in PG_BINDIR, /usr/lib/postgresql/<version>/bin or the PATH: " +
        "install the PostgreSQL server package (Debian: apt-get install postgresql) or set PG_BINDIR. The fault tests need their own throwaway cluster.",
    );
  }
  return found;
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}


interface OsUser {
  uid: number;
  gid: number;
}

function postgresOsUser(): OsUser {
  const uid = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", "postgres"], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error("Running as root, but there is no `postgres` OS user to run the throwaway PostgreSQL cluster as (PostgreSQL refuses to run as root).");
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

function chownTree(target: string, user: OsUser) {
  fs.chownSync(target, user.uid, user.gid);
  if (fs.statSync(target).isDirectory()) for (const child of fs.readdirSync(target)) chownTree(path.join(target, child), user);
}

/** Creates (initdb) and starts a throwaway cluster. Call `remove()` when done (also done at process exit). */
export async function createPgCluster(): Promise<PgCluster> {
  const binDir = findPgBinDir();
  const asRoot = process.getuid?.() === 0;
  const osUser = asRoot ? postgresOsUser() : undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "odpe-pgcluster-"));
  if (osUser) chownTree(dir, osUser);
  const dataDir = path.join(dir, "data");
  const logFile = path.join(dir, "postgres.log");
  const port = await freePort();

  const command = (program: string, args: string[]): [string, string[]] =>
    asRoot ? ["runuser", ["-u", "postgres", "--", path.join(binDir, program), ...args]] : [path.join(binDir, program), args];

  const run = (program: string, args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const [file, argv] = command(program, args);
      execFile(file, argv, { cwd: dir, timeout: COMMAND_TIMEOUT_MS, env: { ...process.env, LC_ALL: "C" } }, (error, stdout, stderr) => {
        if (error) reject(new Error(`${program} ${args.join(" ")} failed: ${error.message}\n${stdout}${stderr}\n${readLog()}`));
        else resolve();
      });
    });
  const readLog = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").slice(-4_000) : "");

  let running = false;
  let removed = false;
  const pgCtl = (args: string[]) => run("pg_ctl", ["-D", dataDir, "-l", logFile, "-w", "-t", "30", ...args]);
  // Synchronous last resort if the test process ends without `remove()` (a crash, Ctrl-C).
  const onExit = () => {
    if (removed) return;
    if (running) {
      const [file, argv] = command("pg_ctl", ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
      spawnSync(file, argv, { cwd: dir, stdio: "ignore", timeout: COMMAND_TIMEOUT_MS });
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", onExit);

  try {
    await run("initdb", ["-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"]);
    // 127.0.0.1 only, Unix socket in the temporary folder (never the system's), small and quick to start.
    fs.appendFileSync(
      path.join(dataDir, "postgresql.conf"),
      [
        "",
        "# throwaway cluster for the portal's fault tests (tests/support/pg-cluster.ts)",
        "listen_addresses = '127.0.0.1'",
        `port = ${port}`,
        `unix_socket_directories = '${dir}'`,
        "max_connections = 40",
        "shared_buffers = 32MB",
        // Stops simulate a crash of PostgreSQL, not of the machine: the OS keeps written data, so skipping fsync is safe and quick.
        "fsync = off",
        "log_min_messages = warning",
        "",
      ].join("\n"),
    );
  } catch (error) {
    process.removeListener("exit", onExit);
    fs.rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  const cluster: PgCluster = {
    port,
    url: (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`,
    get running() {
      return running;
    },
    async start() {
      await pgCtl(["start"]);
      running = true;
    },
    async stop(mode) {
      await pgCtl(["-m", mode, "stop"]);
      running = false;
    },
    async remove() {
      if (removed) return;
      try {
        if (running) await cluster.stop("immediate");
      } finally {
        removed = true;
        process.removeListener("exit", onExit);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    log: readLog,
  };
  try {
    await cluster.start();
  } catch (error) {
    await cluster.remove();
    throw error;
  }
  return cluster;
}
