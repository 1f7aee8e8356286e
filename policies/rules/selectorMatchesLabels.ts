// statefulset-selector-matches-labels: the selector is immutable and must select the pods the
// StatefulSet creates; the API server refuses a mismatch only when the object is applied.
import { Field, quoteList } from "../kube/fields";
import { podLabels } from "../kube/objects";
import { isEmptySelector, readSelector, unmetRequirements } from "../kube/selectors";
import { Rule, violation } from "../rule";

export const selectorMatchesLabels = {
  name: "statefulset-selector-matches-labels" as const,
  description:
    "A StatefulSet's spec.selector must be set, non-empty and match spec.template.metadata.labels; it cannot change later, so select on labels that never change.",
  level: "mandatory",
  scope: "resource",
  config: {},
  check(sts) {
    const selector = readSelector(Field.root(sts).at("spec").at("selector"));
    if (!selector || isEmptySelector(selector)) {
      return [
        violation(
          `spec.selector is ${selector ? "empty" : "not set"}: set spec.selector.matchLabels to stable labels of spec.template.metadata.labels (the selector cannot change later)`,
        ),
      ];
    }
    const unmet = unmetRequirements(selector, podLabels(sts));
    if (unmet.length === 0) return [];
    return [
      violation(
        `spec.selector does not match spec.template.metadata.labels (${quoteList(unmet)} not met): add those labels to the pod template or select on labels it has`,
      ),
    ];
  },
} satisfies Rule;
