// Shell that the pod scripts of more than one kind share.

/**
 * `unresolved TEXT`: true when TEXT (a client's error) says that a host name has no address: no
 * such name, or a name without an address, in glibc's words (Debian images) and musl's (Alpine).
 * A refused or silent connection is not one: something may answer there later.
 */
export const UNRESOLVED_FUNCTION =
  'unresolved() { case $1 in *"Name or service not known"*|*"No address associated"*|*"does not resolve"*) return 0 ;; esac; return 1; }';
