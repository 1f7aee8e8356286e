// Kubernetes resource quantities (https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/),
// limited to the forms a stack file uses: a plain number, or a number with a binary (Ki..Ei) or
// decimal (k..E) suffix for bytes, and millicores for CPU.

const BYTE_SUFFIXES: Record<string, number> = {
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** A byte quantity such as `512Mi`, `10Gi` or `1G`; not `10GB`, `ten` or `-1Gi`. */
export const BYTES_PATTERN = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/;

/** A CPU quantity such as `500m`, `1` or `1.5`. */
export const CPU_PATTERN = /^([0-9]+m|[0-9]+(?:\.[0-9]+)?)$/;

/** Bytes in a byte quantity, or undefined when it is not one. */
export function parseBytes(quantity: string): number | undefined {
  const m = BYTES_PATTERN.exec(quantity);
  if (!m) return undefined;
  return Number(m[1]) * BYTE_SUFFIXES[m[2] ?? ""];
}

/** Whole mebibytes in a byte quantity (rounded down), or undefined when it is not one. */
export function mebibytes(quantity: string): number | undefined {
  const bytes = parseBytes(quantity);
  return bytes === undefined ? undefined : Math.floor(bytes / 2 ** 20);
}

/** Millicores in a CPU quantity (`500m` is 500, `1.5` is 1500), or undefined when it is not one. */
export function millicores(quantity: string): number | undefined {
  if (!CPU_PATTERN.test(quantity)) return undefined;
  return quantity.endsWith("m") ? Number(quantity.slice(0, -1)) : Number(quantity) * 1000;
}
