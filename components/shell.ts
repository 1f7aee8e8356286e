// Shell that the pod scripts of more than one kind share.
import { TLS_FILES } from "./tls";

/**
 * `unresolved TEXT`: true when TEXT (a client's error) says that a host name has no address: no
 * such name, or a name without an address, in glibc's words (Debian images) and musl's (Alpine).
 * A refused or silent connection is not one: something may answer there later.
 */
export const UNRESOLVED_FUNCTION =
  'unresolved() { case $1 in *"Name or service not known"*|*"No address associated"*|*"does not resolve"*) return 0 ;; esac; return 1; }';

/**
 * `tls_sum DIR`: a checksum of the certificate's files in DIR (a mounted kubernetes.io/tls Secret,
 * which the kubelet refreshes in place after a renewal): it changes when any of them does.
 */
export const TLS_SUM_FUNCTION = `tls_sum() { cat "$1/${TLS_FILES.certificate}" "$1/${TLS_FILES.key}" "$1/${TLS_FILES.ca}" 2>/dev/null | cksum; }`;
