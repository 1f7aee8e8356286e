// A free TCP port on loopback, for the servers the pod tests start.
import { createServer } from "net";

/** A port nothing listens on now: the kernel's pick, released at once for the caller to use. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
