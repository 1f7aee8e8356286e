// Where a Redis pod's server listens and where it finds its password: redis.ts builds the pods on
// them, and the Velero quiesce hook (snapshots.ts, which redis.ts depends on) runs redis-cli with
// them. A module of its own, with no imports, so that both read the values at load time.

export const REDIS_PORT = 6379;
/** The Secret key that holds the password (the Secret is `<name>-auth`). */
export const REDIS_PASSWORD_KEY = "redis-password";
/** Where the Secret `<name>-auth` is mounted: kubelet rewrites its files when the Secret changes. */
export const AUTH_DIR = "/etc/redis-auth";
/** The password file the scripts read (set REDIS_PASSWORD_FILE to read another). */
export const PASSWORD_FILE = `${AUTH_DIR}/${REDIS_PASSWORD_KEY}`;
