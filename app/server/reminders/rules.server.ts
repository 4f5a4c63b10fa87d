import { reminderRules } from "./reminders.server";
import { campaignDeadlineReminders } from "../collection/notices.server";
import { getEnv } from "../env.server";
import { dataRequestReminders } from "../governance/data-requests.server";

/**
 * The one place where reminder rules are registered, imported by the worker
 * (app/server/jobs/worker.server.ts) so every rule is known before the first
 * daily run. A feature registers its rule here, e.g. for campaigns:
 *
 *   import { campaignDeadlineReminders } from "../campaigns/reminders.server";
 *   reminderRules.register({ name: "campaign-deadlines", run: campaignDeadlineReminders });
 *
 * (`reminderDates` in app/domain/campaigns.ts gives a campaign's reminder days.)
 */
export { reminderRules };

reminderRules.register({
  name: "campaign-deadlines",
  run: (db, today) => campaignDeadlineReminders(db, today, getEnv().PUBLIC_URL ?? `http://localhost:${getEnv().PORT}`),
});

reminderRules.register({ name: "data-requests", run: (db, today) => dataRequestReminders(db, today) });
