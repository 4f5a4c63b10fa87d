import { applyTransition, type Transition, type TransitionFacts, type TransitionOutcome } from "~/domain/workflow";
import { DomainError, type DomainErrorCode } from "./errors.server";

/**
 * The use cases' side of the one transition shape (app/domain/workflow.ts,
 * docs/architecture.md « Workflows »): a transition is applied through
 * `applyTransition` and a refusal becomes the `DomainError` the routes and
 * the API answer, its French sentence naming the rule.
 *
 * - a wrong starting status is a conflict (409): the page was out of date;
 * - a broken guard is a validation error (422), or a refusal (403) for the
 *   four-eyes rule (Art. 4), which no correction of the form can satisfy.
 */

/** The use case's own French sentences, when it says more than the table's generic refusal. */
interface RefusalWording {
  /** The wrong-starting-status sentence, without its final period, e.g. « Action impossible : la version 2 est à l'état « Validée » ». */
  status?: string;
  /** Per guard name: the sentence (with its final period) and the form fields it concerns. */
  guards?: Readonly<Record<string, { message: string; fields?: Record<string, string[]> }>>;
}

const STARTING_STATUS = "statut de départ";
const guardCodes: Readonly<Record<string, DomainErrorCode>> = { "quatre yeux": "forbidden" };

/** A refused transition as the DomainError of its rule. */
function refusalError(refusal: Extract<TransitionOutcome<string>, { ok: false }>, wording: RefusalWording = {}): DomainError {
  if (refusal.rule === STARTING_STATUS) {
    return new DomainError("conflict", wording.status ? `${wording.status} (règle « ${STARTING_STATUS} »). Rechargez la page.` : refusal.refusal);
  }
  const own = wording.guards?.[refusal.rule];
  return new DomainError(guardCodes[refusal.rule] ?? (refusal.rule === "action inconnue" ? "conflict" : "validation"), own ? `${own.message} (règle « ${refusal.rule} »)` : refusal.refusal, own?.fields);
}

/** Applies `action` to a thing in status `from`: the new status, or the refusal of the rule that does not hold, thrown. */
export function transitionTo<S extends string, A extends string>(
  table: readonly Transition<S, A>[],
  action: A,
  from: S,
  facts: TransitionFacts,
  labels: Record<S, string>,
  wording: RefusalWording = {},
): S {
  const outcome = applyTransition(table, action, from, facts, labels);
  if (outcome.ok) return outcome.to;
  throw refusalError(outcome, wording);
}

/** The statuses a transition leaves from, for the bulk updates that apply it to many rows at once. */
export function statusesLeftBy<S extends string, A extends string>(table: readonly Transition<S, A>[], action: A): S[] {
  const transition = table.find((t) => t.action === action);
  if (!transition) throw new Error(`Unknown transition ${action}`);
  return [...transition.from];
}
