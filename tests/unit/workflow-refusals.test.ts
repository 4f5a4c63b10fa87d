import { describe, expect, it } from "vitest";
import { approvalTable, editionTable, publicationTable, submissionTable } from "~/domain/workflow";
import { versionStatusLabels } from "~/domain/submissions";
import { approvalStatusLabels, publicationStatusLabels } from "~/domain/publications";
import { editionStatusLabels } from "~/domain/dashboard";
import { statusesLeftBy, transitionTo } from "~/server/workflow.server";
import { DomainError } from "~/server/errors.server";

function refusal(apply: () => unknown): DomainError {
  try {
    apply();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error("a refusal was expected");
}

describe("transitionTo: a workflow table applied by a use case, a refusal as the DomainError of its rule", () => {
  it("answers the status the table moves to when the status and every guard hold", () => {
    expect(transitionTo(submissionTable, "submit", "draft", { errorCount: 0, warningCount: 0 }, versionStatusLabels)).toBe("submitted");
    expect(transitionTo(editionTable, "publish", "validated", {}, editionStatusLabels)).toBe("published");
  });

  it("a wrong starting status is a conflict (409) in the use case's words, naming « statut de départ »", () => {
    const error = refusal(() =>
      transitionTo(editionTable, "publish", "draft", {}, editionStatusLabels, { status: "Action impossible : l'édition est « En rédaction »" }),
    );
    expect(error.code).toBe("conflict");
    expect(error.message).toBe("Action impossible : l'édition est « En rédaction » (règle « statut de départ »). Rechargez la page.");
  });

  it("without the use case's words, the table's own French refusal is kept", () => {
    const error = refusal(() => transitionTo(publicationTable, "validate", "draft", {}, publicationStatusLabels));
    expect(error.code).toBe("conflict");
    expect(error.message).toMatch(/règle « statut de départ » : seulement depuis/);
  });

  it("Art. 4 four-eyes: a refusal (403), not a form error, naming « quatre yeux »", () => {
    const error = refusal(() => transitionTo(submissionTable, "validate", "submitted", { actorId: "u1", submittedBy: "u1" }, versionStatusLabels));
    expect(error.code).toBe("forbidden");
    expect(error.message).toMatch(/autre personne.*\(règle « quatre yeux »\)$/);
  });

  it("a broken guard is a validation error (422) with the use case's sentence and fields, naming the rule", () => {
    const error = refusal(() =>
      transitionTo(submissionTable, "send_back", "submitted", { comment: "  " }, versionStatusLabels, {
        guards: { "motif obligatoire": { message: "Indiquez le motif du retour.", fields: { comment: ["Motif obligatoire."] } } },
      }),
    );
    expect(error.code).toBe("validation");
    expect(error.message).toBe("Indiquez le motif du retour. (règle « motif obligatoire »)");
    expect(error.fieldErrors).toEqual({ comment: ["Motif obligatoire."] });
  });

  it("Art. 5: an approval is decided once — deciding again is refused by « statut de départ »", () => {
    expect(transitionTo(approvalTable, "approve", "pending", {}, approvalStatusLabels)).toBe("approved");
    expect(refusal(() => transitionTo(approvalTable, "refuse", "approved", { comment: "Trop tôt." }, approvalStatusLabels)).code).toBe("conflict");
  });

  it("the bulk invalidation and cancellation of approvals read their statuses from the table", () => {
    expect(statusesLeftBy(approvalTable, "invalidate").sort()).toEqual(["approved", "pending"]);
    expect(statusesLeftBy(approvalTable, "cancel")).toEqual(["pending"]);
  });
});
