// statefulset-image-pinned: a pod that restarts on another node pulls its image again; an unpinned
// image can bring a different database version up next to the others.
import { containersOf } from "../kube/objects";
import { Finding, guarded, Rule, violation } from "../rule";

export interface ImagePinnedConfig {
  /** Require a digest (`image@sha256:...`), not only a tag. */
  requireDigest?: boolean;
}

/** Splits an image reference into its tag and digest (either may be absent). */
export function parseImage(image: string): { tag?: string; digest?: string } {
  const at = image.indexOf("@");
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const name = at >= 0 ? image.slice(0, at) : image;
  const lastSlash = name.lastIndexOf("/");
  const colon = name.indexOf(":", lastSlash + 1);
  const tag = colon >= 0 ? name.slice(colon + 1) : undefined;
  return { tag: tag || undefined, digest: digest || undefined };
}

export const imagePinned = {
  name: "statefulset-image-pinned" as const,
  description:
    "Every container and init container image of a StatefulSet must be pinned to a version tag other than latest, or a digest; with requireDigest, to a digest.",
  level: "mandatory",
  scope: "resource",
  config: {
    requireDigest: {
      type: "boolean",
      description: "Require images pinned by digest (image@sha256:...).",
      default: false,
    },
  },
  check(sts, ctx) {
    const out: Finding[] = [];
    for (const c of containersOf(sts, { init: true })) {
      guarded(out, () => {
        const image = c.field.at("image").str();
        if (image === undefined || image === "") return;
        const { tag, digest } = parseImage(image);
        if (digest) return;
        if (!tag) {
          out.push(
            violation(
              `${c.label} image "${image}" has no tag: pin a version tag or a digest (image@sha256:...), or a restarted pod may run another version`,
            ),
          );
        } else if (tag === "latest") {
          out.push(
            violation(
              `${c.label} image "${image}" uses the latest tag: pin a version tag or a digest, or a restarted pod may run another version`,
            ),
          );
        } else if (ctx.config.requireDigest === true) {
          out.push(
            violation(
              `${c.label} image "${image}" is not pinned by digest: append @sha256:<digest> as this stack requires`,
            ),
          );
        }
      });
    }
    return out;
  },
} satisfies Rule<ImagePinnedConfig>;
