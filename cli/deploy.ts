import { Command, usageError } from "./io";
import { defineCommand } from "./run";
import { SWITCH_OPTIONS } from "./rollback";
import { loadProximaStack } from "./stack";
import { appImages, findApp, switchApp } from "./switch";

const USAGE = `Usage: image-lifecycle deploy <app> --to <tag|digest> [options]

Switches an app in the proxima stack file to another image of its repository, newer or older: the
tag is resolved to its digest now and both are written (the digest pins what runs). A dry run unless
--yes; then it prints the next step, pulumi preview and pulumi up with the policy pack.

  <app>                 an app under image-lifecycle:apps in the stack file
  --to <tag|digest>     a tag (e.g. 6350192, v1.2.0), or a digest as sha256:<hex> or bare hex,
                        all 64 digits or at least 12 of them
  --yes                 make the change; without it, show what would change and the commands
  --stack <name>        stack whose file to change (default: proxima)
  --file <path>         the stack file (default: ./Pulumi.<stack>.yaml)
  --registry <host[:port]>  ask this registry instead of the stack's registry.host
  --insecure            plain HTTP to a registry that is not on loopback
  --json                print JSON for scripts
  -h, --help            this help

Making the change: --yes replaces only the app's digest: and tag: lines of the stack file (comments
and layout kept, replaced atomically) and prints the equivalent "pulumi config set" commands. The next
step it prints runs on npm start's state (PULUMI_BACKEND_URL, default file://<project>/.pulumi-state;
empty passphrase unless PULUMI_CONFIG_PASSPHRASE is set).

Credentials: REGISTRY_USERNAME and REGISTRY_PASSWORD.
Exit codes: 0 ok (or already on that image), 1 the --to image is not in the registry, 2 bad usage
or stack config, 3 registry unreachable or answering badly.
`;

/** `image-lifecycle deploy <app> --to <tag|digest>`: rollback's switch, in either direction. */
export const deploy: Command = defineCommand({ name: "deploy", options: SWITCH_OPTIONS, usage: USAGE, positional: "app", sanitise: true }, async ({ values, positionals }, io) => {
    if (!values.to) return usageError("deploy", "--to <tag|digest> is required: say which image to deploy (image-lifecycle status lists what is newer).", USAGE, io);
    const loaded = loadProximaStack({ stack: values.stack, file: values.file });
    const app = findApp(loaded, positionals[0]);
    const images = await appImages(loaded, app, io, { registry: values.registry, insecure: values.insecure });
    return switchApp({ command: "deploy", loaded, app, images, to: values.to, yes: values.yes === true, json: values.json === true }, io);
});
