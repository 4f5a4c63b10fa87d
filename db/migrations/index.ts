import type { Migration } from "kysely";
import * as m2026112301 from "./2026112301_foundation";
import * as m2026112302 from "./2026112302_referential";
import * as m2026112303 from "./2026112303_jobs_outbox";
import * as m2026112304 from "./2026112304_collection";
import * as m2026112305 from "./2026112305_diffusion";
import * as m2026112306 from "./2026112306_dashboard";
import * as m2026112307 from "./2026112307_personal_data";
import * as m2026120405 from "./2026120405_review";

/**
 * Every migration, in order. Imported statically so the production server
 * bundle carries them (no file-system lookup at run time). Add new ones at the end.
 */
export const migrations: Record<string, Migration> = {
  "2026112301_foundation": m2026112301,
  "2026112302_referential": m2026112302,
  "2026112303_jobs_outbox": m2026112303,
  "2026112304_collection": m2026112304,
  "2026112305_diffusion": m2026112305,
  "2026112306_dashboard": m2026112306,
  "2026112307_personal_data": m2026112307,
  "2026120405_review": m2026120405,
};
