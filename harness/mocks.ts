// Plays the Pulumi engine for the program: Pulumi mocks, plus a recorder of every registration with
// what the engine would see of it (type, name, URN, parent, inputs as sent on the wire, options).
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as runtimeSettings from "@pulumi/pulumi/runtime/settings";

// Internal to @pulumi/pulumi (marked @internal, so absent from its typings): resolves when every
// registration in flight has been answered.
const settings = runtimeSettings as unknown as { waitForRPCs(): Promise<void> };

export interface RecordedResource {
  type: string;
  name: string;
  urn: string;
  /** The parent's URN ("" for the stack itself). */
  parent: string;
  custom: boolean;
  /** performance.now() when the engine answered the registration: ms since the process started. */
  registeredAt: number;
  /** Inputs with secrets unwrapped, as a program sees them. */
  inputs: Record<string, unknown>;
  /** Inputs as serialized for the engine: secrets wrapped in Pulumi's secret signature. */
  wire: Record<string, unknown>;
  options: {
    provider: string;
    dependsOn: string[];
    protect: boolean;
    deleteBeforeReplace: boolean;
    /** The engine drops the resource from its state on delete and leaves the object as it is. */
    retainOnDelete: boolean;
    customTimeouts?: { create: string; update: string; delete: string };
  };
}

/** The signature key and value Pulumi wraps a secret in on the wire. */
export const SECRET_SIG = {
  key: "4dabf18193072939515e22adb298388d",
  value: "1b47061264138c4ac30d75fd1eb44270",
};

let recorded: RecordedResource[] = [];
let patched = false;

/* eslint-disable @typescript-eslint/no-explicit-any -- the monitor speaks protobuf objects */
function patchMonitor(): void {
  if (patched) return;
  patched = true;
  const original = MockMonitor.prototype.registerResource;
  MockMonitor.prototype.registerResource = function (req: any, callback: any) {
    const wire = req.getObject()?.toJavaScript() ?? {};
    return original.call(this, req, (err: any, response: any) => {
      if (!err && response) {
        const timeouts = req.getCustomtimeouts();
        recorded.push({
          type: req.getType(),
          name: req.getName(),
          urn: response.getUrn(),
          parent: req.getParent(),
          custom: req.getCustom(),
          registeredAt: performance.now(),
          inputs: unwrapSecrets(wire) as Record<string, unknown>,
          wire,
          options: {
            provider: req.getProvider(),
            dependsOn: req.getDependenciesList(),
            protect: req.getProtect(),
            deleteBeforeReplace: req.getDeletebeforereplace(),
            retainOnDelete: req.getRetainondelete() ?? false,
            customTimeouts: timeouts
              ? {
                  create: timeouts.getCreate(),
                  update: timeouts.getUpdate(),
                  delete: timeouts.getDelete(),
                }
              : undefined,
          },
        });
      }
      callback(err, response);
    });
  };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Replaces every secret-wrapped value with its plain value. */
export function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SECRET_SIG.key] === SECRET_SIG.value) return unwrapSecrets(obj.value);
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/** True when the wire value is a Pulumi secret. */
export function isWireSecret(value: unknown): boolean {
  return (
    !!value &&
    typeof value === "object" &&
    (value as Record<string, unknown>)[SECRET_SIG.key] === SECRET_SIG.value
  );
}

/** The prefix of every password the mocks generate (see mockState). */
export const GENERATED = "generated-";

/** Mock state for a new resource: its inputs, plus what a provider would compute. */
function mockState(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  if (args.type === "random:index/randomPassword:RandomPassword") {
    return { ...args.inputs, result: `${GENERATED}${args.name}`, bcryptHash: "hash" };
  }
  return args.inputs;
}

/**
 * Installs the mocks and clears the record. Call before importing or constructing anything that
 * registers resources.
 */
export async function setupMocks(
  options: {
    project?: string;
    stack?: string;
    preview?: boolean;
    config?: Record<string, string>;
  } = {},
): Promise<void> {
  patchMonitor();
  recorded = [];
  if (options.config) {
    pulumi.runtime.setAllConfig(options.config);
  }
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: mockState(args) }),
      call: (args) => args.inputs,
    },
    options.project ?? "stateful",
    options.stack ?? "test",
    options.preview ?? false,
  );
}

/** Waits until every registration in flight has completed, then returns what was registered. */
export async function registered(): Promise<RecordedResource[]> {
  await settings.waitForRPCs();
  return [...recorded];
}
