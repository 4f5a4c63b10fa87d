import { z } from "zod";
import { aggregationInputs, indicatorAggregationSchema, isNonAdditiveUnit } from "./aggregation";

/**
 * The file format of `partners/` and `conventions/` (documented in their
 * README.md). Seeding and `npm run observatory:import` read these files and
 * validate them with these schemas before touching the database.
 */
export const organisationCode = z
  .string()
  .regex(/^[A-Z0-9][A-Z0-9_-]{0,31}$/, "code: capitals, digits, - or _ (max 32)");

export const organisationKinds = [
  "observatory",
  "departement",
  "state",
  "health",
  "justice",
  "social_security",
  "disability",
  "bar",
  "establishment",
  "association",
  "federation",
  "ombudsman",
  "hospital",
  "network",
  "professional_order",
  "training",
  "research",
  "university",
] as const;
export const organisationKind = z.enum(organisationKinds);
export type OrganisationKind = z.infer<typeof organisationKind>;

export const organisationsFile = z.object({
  organisations: z
    .array(
      z.object({
        code: organisationCode,
        name: z.string().min(2).max(200),
        kind: organisationKind,
        note: z.string().max(500).optional(),
        /** Path of a PNG/JPEG/WebP file relative to `partners/`. */
        logo: z.string().regex(/^[\w./-]+\.(png|jpe?g|webp)$/i).optional(),
        /**
         * Art. 7: member since (default: the framework convention's signature
         * date, or the date of the amendment listing it in `organisations`).
         */
        memberSince: z.iso.date().optional(),
        contacts: z
          .array(
            z.object({
              name: z.string().min(2).max(120),
              jobTitle: z.string().max(120).optional(),
              email: z.email().optional(),
              phone: z.string().regex(/^[+0-9 ().-]{6,25}$/).optional(),
            }),
          )
          .default([]),
      }),
    )
    .min(1)
    .refine((list) => new Set(list.map((o) => o.code)).size === list.length, "organisation codes must be unique"),
});

export const observatoryFile = z.object({
  code: organisationCode,
  name: z.string().min(2),
  label: z.string().min(2),
  departement: z.object({ code: z.string().regex(/^(\d{2,3}|2[AB])$/), name: z.string().min(2) }),
  contactEmail: z.email().optional(),
  team: z.object({ code: organisationCode, name: z.string().min(2), kind: z.literal("observatory") }),
});

const isoDate = z.iso.date();

export const conventionFile = z.object({
  title: z.string().min(2),
  signatureDate: isoDate,
  note: z.string().optional(),
  amendments: z.array(
    z.object({
      number: z.number().int().min(1),
      date: isoDate,
      kind: z.enum(["new_partner", "new_data", "other"]),
      title: z.string().min(2),
      description: z.string().optional(),
      /** new_partner: the organisations it made members (from its date). */
      organisations: z.array(organisationCode).default([]),
      /** new_data: the indicator codes it added to the catalogue. */
      indicators: z.array(z.string()).default([]),
    }),
  )
    .refine((list) => list.every((a, i) => a.number === i + 1), "amendments are numbered 1, 2, 3… in order")
    .refine((list) => list.every((a, i) => i === 0 || a.date >= list[i - 1]!.date), "amendment dates follow their numbers"),
});

export const domainsFile = z.object({
  domains: z
    .array(z.object({ code: z.string().regex(/^[A-Z_]+$/), label: z.string().min(2), position: z.number().int() }))
    .length(8, "the convention (Art. 4) defines eight domains"),
});

export const codelistsFile = z.object({
  codelists: z.array(
    z.object({
      code: z.string().regex(/^[A-Z0-9_]+$/),
      /** French name of the breakdown (e.g. "Tranche d'âge"); defaults to the code. */
      label: z.string().min(2).optional(),
      items: z.array(z.object({ code: z.string().min(1).max(32), label: z.string().min(1) })).min(1),
    }),
  ),
});

/** Validation rules of a definition; omitted fields take the defaults shown. */
const indicatorRules = z.object({
  /** Default true. */
  nonNegative: z.boolean().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  /** Breakdown cells sum to the total. Default true (when there are breakdowns). */
  breakdownSumEqualsTotal: z.boolean().optional(),
});

/** The definitional fields; a later version repeats only what changes. */
const indicatorDefinition = {
  label: z.string().min(2),
  definition: z.string().min(10),
  unit: z.string().min(1),
  valueType: z.enum(["integer", "decimal"]),
  kind: z.enum(["stock", "flow"]),
  breakdowns: z.array(z.string()),
  rules: indicatorRules.optional(),
};

export const indicatorsFile = z.object({
  indicators: z
    .array(
      z.object({
        code: z.string().regex(/^[A-Z0-9_]{2,40}$/),
        domain: z.string(),
        ...indicatorDefinition,
        /** Optional until written: the portal shows "définition à compléter". */
        definition: indicatorDefinition.definition.optional(),
        /** First reference year of the definition; omitted = since the origin of the series. */
        validFrom: z.number().int().min(1990).max(2200).optional(),
        providers: z.array(organisationCode),
        evidence: z.string().optional(),
        /**
         * How several organisations' values make one figure (app/domain/aggregation.ts).
         * Omitted: a sum. Required for a non-additive unit (percentage, days, euros…).
         */
        aggregation: indicatorAggregationSchema.optional(),
        /** Statistical secrecy: counts from 1 to threshold-1 are masked outside the observatory. Default 5; 0 = not applicable. */
        secrecyThreshold: z.number().int().min(0).max(1000).optional(),
        /** Later definitions, each in force from `validFrom`; fields not repeated are kept from the previous one. */
        versions: z
          .array(
            z.object({
              validFrom: z.number().int().min(1990).max(2200),
              changeNote: z.string().min(5),
              label: indicatorDefinition.label.optional(),
              definition: indicatorDefinition.definition.optional(),
              unit: indicatorDefinition.unit.optional(),
              valueType: indicatorDefinition.valueType.optional(),
              kind: indicatorDefinition.kind.optional(),
              breakdowns: indicatorDefinition.breakdowns.optional(),
              rules: indicatorRules.optional(),
            }),
          )
          .default([])
          .refine((list) => list.every((v, i) => i === 0 || v.validFrom > list[i - 1]!.validFrom), "versions are in increasing validFrom order"),
      }),
    )
    .refine((list) => new Set(list.map((i) => i.code)).size === list.length, "indicator codes must be unique")
    .superRefine((list, ctx) => {
      // Every non-additive indicator declares its aggregation; weights and ratio parts are additive indicators of the catalogue.
      const byCode = new Map(list.map((i) => [i.code, i]));
      list.forEach((indicator, index) => {
        const units = [indicator.unit, ...indicator.versions.map((v) => v.unit).filter((u): u is string => !!u)];
        if (units.some(isNonAdditiveUnit) && (!indicator.aggregation || indicator.aggregation.kind === "sum")) {
          ctx.addIssue({
            code: "custom",
            path: [index, "aggregation"],
            message: `${indicator.code}: a non-additive indicator (unit "${indicator.unit}") declares its aggregation: weighted_mean, ratio_of_sums or not_aggregable`,
          });
        }
        for (const input of indicator.aggregation ? aggregationInputs(indicator.aggregation) : []) {
          const other = byCode.get(input);
          if (!other || other.valueType !== "integer" || isNonAdditiveUnit(other.unit)) {
            ctx.addIssue({ code: "custom", path: [index, "aggregation"], message: `${indicator.code}: aggregation input ${input} is not an additive indicator of the catalogue` });
          }
        }
      });
    }),
});

export type IndicatorsFile = z.infer<typeof indicatorsFile>;
export type IndicatorFileEntry = IndicatorsFile["indicators"][number];
