/** French dates and numbers, one formatter each (Intl fr-FR, Europe/Paris). */
const dateTime = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeStyle: "short", timeZone: "Europe/Paris" });
const dateOnly = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeZone: "Europe/Paris" });
const integer = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 2 });

const toDate = (value: Date | string) => (value instanceof Date ? value : new Date(value));

export const formatDateTime = (value: Date | string | null | undefined) => (value ? dateTime.format(toDate(value)) : "—");
export const formatDate = (value: Date | string | null | undefined) => (value ? dateOnly.format(toDate(value)) : "—");
export const formatInteger = (value: number | null | undefined) => (value === null || value === undefined ? "—" : integer.format(value));
export const formatDecimal = (value: number | null | undefined) => (value === null || value === undefined ? "—" : decimal.format(value));
