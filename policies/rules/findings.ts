// Small constructors for findings, and `guarded`, which turns an unknown value met inside one part
// of a check into a note without losing what the other parts found.
import type { Finding } from "./types";
import { UnknownValueError } from "./unknown";

export function violation(message: string): Finding {
  return { type: "violation", message };
}

export function note(message: string): Finding {
  return { type: "note", message };
}

/** Runs `check`; an unknown value it meets becomes a note in `out`. Other errors propagate. */
export function guarded(out: Finding[], check: () => void): void {
  try {
    check();
  } catch (e) {
    if (e instanceof UnknownValueError) out.push(note(e.message));
    else throw e;
  }
}
