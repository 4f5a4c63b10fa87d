import { Lucia, TimeSpan, type Adapter, type DatabaseSession, type DatabaseUser } from "lucia";
import type { Db } from "../db.server";
import type { Role } from "~/domain/permissions";
import type { IsoDate } from "~/domain/dates";

/**
 * Sessions. lucia v3 lives only in this module (its upstream has stopped
 * development): swapping it means rewriting this file alone.
 * - idle expiry: lucia's sliding expiry (`SESSION_IDLE_MINUTES`);
 * - absolute expiry: `SESSION_ABSOLUTE_HOURS` after creation, whatever the activity;
 * - cookie: HttpOnly, SameSite=Lax, Secure in production, no persistent expiry.
 */

interface SessionAttributes {
  created_at: Date;
}
interface UserAttributes {
  email: string;
  display_name: string;
  role: Role;
  organisation_id: string;
  status: "active" | "disabled";
  /** Read with the session (one query): every page shows the name, every guard checks the withdrawal. */
  organisation_name: string;
  organisation_withdrawal_effective_date: IsoDate | null;
}

declare module "lucia" {
  interface Register {
    Lucia: Lucia<{ createdAt: Date }, UserAttributes>;
    DatabaseSessionAttributes: SessionAttributes & { ip?: string | null; user_agent?: string | null };
    DatabaseUserAttributes: UserAttributes;
  }
}

/** A ~60-line Kysely adapter: works on both pg and PGlite. */
class KyselyAdapter implements Adapter {
  constructor(private readonly db: Db) {}

  async getSessionAndUser(sessionId: string): Promise<[DatabaseSession | null, DatabaseUser | null]> {
    const row = await this.db
      .selectFrom("user_session as s")
      .innerJoin("app_user as u", "u.id", "s.user_id")
      .innerJoin("organisation as o", "o.id", "u.organisation_id")
      .select([
        "s.id",
        "s.user_id",
        "s.expires_at",
        "s.created_at",
        "u.email",
        "u.display_name",
        "u.role",
        "u.organisation_id",
        "u.status",
        "o.name as organisation_name",
        "o.withdrawal_effective_date",
      ])
      .where("s.id", "=", sessionId)
      .executeTakeFirst();
    if (!row) return [null, null];
    return [
      { id: row.id, userId: row.user_id, expiresAt: new Date(row.expires_at), attributes: { created_at: new Date(row.created_at) } },
      {
        id: row.user_id,
        attributes: {
          email: row.email,
          display_name: row.display_name,
          role: row.role,
          organisation_id: row.organisation_id,
          status: row.status,
          organisation_name: row.organisation_name,
          organisation_withdrawal_effective_date: row.withdrawal_effective_date,
        },
      },
    ];
  }

  async getUserSessions(userId: string): Promise<DatabaseSession[]> {
    const rows = await this.db.selectFrom("user_session").selectAll().where("user_id", "=", userId).execute();
    return rows.map((r) => ({
      id: r.id,
      userId: r.user_id,
      expiresAt: new Date(r.expires_at),
      attributes: { created_at: new Date(r.created_at) },
    }));
  }

  async setSession(session: DatabaseSession): Promise<void> {
    const attributes = session.attributes as { ip?: string | null; user_agent?: string | null };
    await this.db
      .insertInto("user_session")
      .values({
        id: session.id,
        user_id: session.userId,
        expires_at: session.expiresAt,
        ip: attributes.ip ?? null,
        user_agent: attributes.user_agent?.slice(0, 300) ?? null,
      })
      .execute();
  }

  async updateSessionExpiration(sessionId: string, expiresAt: Date): Promise<void> {
    await this.db.updateTable("user_session").set({ expires_at: expiresAt }).where("id", "=", sessionId).execute();
  }

  async deleteSession(sessionId: string): Promise<void> {
    await this.db.deleteFrom("user_session").where("id", "=", sessionId).execute();
  }

  async deleteUserSessions(userId: string): Promise<void> {
    await this.db.deleteFrom("user_session").where("user_id", "=", userId).execute();
  }

  async deleteExpiredSessions(): Promise<void> {
    await this.db.deleteFrom("user_session").where("expires_at", "<=", new Date()).execute();
  }
}

export interface SessionSettings {
  idleMinutes: number;
  absoluteHours: number;
  secureCookies: boolean;
}

export interface SessionUser {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  organisationId: string;
  organisationName: string;
  organisationWithdrawalEffectiveDate: IsoDate | null;
}

export interface ValidatedSession {
  user: SessionUser;
  sessionId: string;
  /** Set-Cookie to send back (sliding expiry refreshed or session cleared), if any. */
  setCookie?: string;
}

export const SESSION_COOKIE = "odpe_session";

export class SessionManager {
  private readonly lucia: Lucia<{ createdAt: Date }, UserAttributes>;

  constructor(
    db: Db,
    private readonly settings: SessionSettings,
  ) {
    this.lucia = new Lucia(new KyselyAdapter(db), {
      sessionExpiresIn: new TimeSpan(settings.idleMinutes, "m"),
      sessionCookie: {
        name: SESSION_COOKIE,
        expires: false,
        attributes: { sameSite: "lax", secure: settings.secureCookies, path: "/" },
      },
      getSessionAttributes: (a) => ({ createdAt: a.created_at }),
      getUserAttributes: (a) => a,
    });
  }

  /** A browser-session cookie (no Max-Age): closing the browser ends it; the server enforces expiry. */
  private cookie(sessionId: string): string {
    const cookie = this.lucia.createSessionCookie(sessionId);
    delete cookie.attributes.maxAge;
    delete cookie.attributes.expires;
    return cookie.serialize();
  }

  readSessionId(cookieHeader: string | null): string | null {
    return cookieHeader ? this.lucia.readSessionCookie(cookieHeader) : null;
  }

  /** Creates a new session (a new id: rotation at every login) and its cookie. */
  async create(userId: string, meta: { ip: string | null; userAgent: string | null }) {
    const session = await this.lucia.createSession(userId, {
      created_at: new Date(),
      ip: meta.ip,
      user_agent: meta.userAgent,
    });
    return { sessionId: session.id, setCookie: this.cookie(session.id) };
  }

  async validate(sessionId: string, now = new Date()): Promise<ValidatedSession | null> {
    const { session, user } = await this.lucia.validateSession(sessionId);
    if (!session || !user) return null;
    const absoluteLimit = session.createdAt.getTime() + this.settings.absoluteHours * 3_600_000;
    if (now.getTime() >= absoluteLimit || user.status !== "active") {
      await this.lucia.invalidateSession(session.id);
      return null;
    }
    return {
      sessionId: session.id,
      user: {
        id: user.id,
        email: user.email,
        displayName: user.display_name,
        role: user.role,
        organisationId: user.organisation_id,
        organisationName: user.organisation_name,
        organisationWithdrawalEffectiveDate: user.organisation_withdrawal_effective_date,
      },
      setCookie: session.fresh ? this.cookie(session.id) : undefined,
    };
  }

  async invalidate(sessionId: string) {
    await this.lucia.invalidateSession(sessionId);
  }

  async invalidateUser(userId: string) {
    await this.lucia.invalidateUserSessions(userId);
  }

  blankCookie(): string {
    return this.lucia.createBlankSessionCookie().serialize();
  }

  purgeExpired() {
    return this.lucia.deleteExpiredSessions();
  }
}
