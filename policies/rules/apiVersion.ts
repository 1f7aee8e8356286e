// statefulset-api-version: a StatefulSet in an API version the cluster does not serve is refused
// whole by the API server (or, in a chart, silently never deployed by a tool that skips it).
import { Field } from "../kube/fields";
import { groupOf, versionOf } from "../kube/objects";
import { Rule, violation } from "../rule";

/** Versions of apps StatefulSets that Kubernetes removed, with the release that removed them. */
export const REMOVED_VERSIONS: Readonly<Record<string, string>> = {
  v1beta1: "1.16",
  v1beta2: "1.16",
};

export const apiVersion = {
  name: "statefulset-api-version" as const,
  description:
    "A StatefulSet must use apiVersion apps/v1: apps/v1beta1 and apps/v1beta2 were removed in Kubernetes 1.16, and StatefulSet is not in the core group (apiVersion v1).",
  level: "mandatory",
  scope: "resource",
  config: {},
  wrongGroup: true,
  check(sts) {
    const version = Field.root(sts).at("apiVersion").str() ?? "";
    if (groupOf(sts) !== "apps") {
      return [
        violation(
          `apiVersion is ${JSON.stringify(version)}, which has no StatefulSet: set apiVersion: apps/v1`,
        ),
      ];
    }
    const removedIn = REMOVED_VERSIONS[versionOf(sts)];
    if (removedIn !== undefined) {
      return [
        violation(
          `apiVersion is ${JSON.stringify(version)}, which Kubernetes ${removedIn} removed: set apiVersion: apps/v1 (where spec.selector is required and immutable)`,
        ),
      ];
    }
    return [];
  },
} satisfies Rule;
