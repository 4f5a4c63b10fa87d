import type { Migration } from "kysely";
import * as m2026112301 from "./2026112301_foundation";
import * as m2026112302 from "./2026112302_referential";
import * as m2026112303 from "./2026112303_jobs_outbox";
import * as m2026112304 from "./2026112304_collection";
import * as m2026112305 from "./2026112305_diffusion";
import * as m2026112306 from "./2026112306_dashboard";
import * as m2026112307 from "./2026112307_personal_data";
import * as m2026120404 from "./2026120404_rates_populations";
import * as m2026120408 from "./2026120408_governance_proposals";
import * as m2026120410 from "./2026120410_data_requests";
import * as m2026120401 from "./2026120401_disclosure_ledger";
import * as m2026120407 from "./2026120407_annotated_workbooks";
import * as m2026120402 from "./2026120402_audit_anchor";
import * as m2026120406 from "./2026120406_published_artefacts";
import * as m2026120403 from "./2026120403_transmission_aggregation";
import * as m2026120405 from "./2026120405_review";
import * as m2026120411 from "./2026120411_audit_hmac";
import * as m2026120414 from "./2026120414_codelist_labels";
import * as m2026120415 from "./2026120415_session_hash";
import * as m2026120412 from "./2026120412_workspace_hold";
import * as m2026120413 from "./2026120413_not_available";
import * as m2026120616 from "./2026120616_session_notify";
import * as m2026120620 from "./2026120620_deferrable_upload_rows";
import * as m2026120640 from "./2026120640_artefact_notify";
import * as m2026120650 from "./2026120650_notify_schema";
import * as m2026120660 from "./2026120660_set_based_value_keys";
import * as m2026120770 from "./2026120770_stored_file_external";

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
  "2026120404_rates_populations": m2026120404,
  "2026120408_governance_proposals": m2026120408,
  "2026120410_data_requests": m2026120410,
  "2026120401_disclosure_ledger": m2026120401,
  "2026120407_annotated_workbooks": m2026120407,
  "2026120402_audit_anchor": m2026120402,
  "2026120406_published_artefacts": m2026120406,
  "2026120403_transmission_aggregation": m2026120403,
  "2026120405_review": m2026120405,
  "2026120411_audit_hmac": m2026120411,
  "2026120414_codelist_labels": m2026120414,
  "2026120415_session_hash": m2026120415,
  "2026120412_workspace_hold": m2026120412,
  "2026120413_not_available": m2026120413,
  "2026120616_session_notify": m2026120616,
  "2026120620_deferrable_upload_rows": m2026120620,
  "2026120640_artefact_notify": m2026120640,
  "2026120650_notify_schema": m2026120650,
  "2026120660_set_based_value_keys": m2026120660,
  "2026120770_stored_file_external": m2026120770,
};
