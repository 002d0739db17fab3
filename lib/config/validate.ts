/**
 * Stage 3 of the config pipeline (pipeline.ts): the rules beyond each key's schema, by name, each
 * over what the stack file says (parse.ts) or the estate it became (normalise.ts). A rule about a
 * form the stack file must use (seed 004's bare hex, the repository key) reads what is written; a
 * rule across items (budgets, ports, volume names) reads the estate. The rules themselves are in
 * rules.ts; this table says which applies to what, in the order their problems are listed.
 */
import { CLASSES } from "../contract";
import type { Parsed } from "./parse";
import { checkBudgets, checkChoice, checkPorts, checkRelease, checkSigning, checkSshOpts, checkVolumeNames, checkWorkspaceBinds, isRegistryHost, Problem } from "./rules";
import type { Estate } from "./types";

/** What a rule reads: the stack file as written, and the estate made of it. */
export interface Subject {
    written: Parsed;
    estate: Estate;
}

export interface ConfigRule {
    /** What the rule holds, in a few words (for readers and for a test that lists the rules). */
    name: string;
    check(problems: Problem[], subject: Subject): void;
}

export const RULES: readonly ConfigRule[] = [
    {
        name: "registry-host",
        check(problems, { written, estate }) {
            if (written.fields.registry && !isRegistryHost(estate.registry.host)) {
                problems.push({ path: "registry.host", message: "expected host or host:port without scheme or path, e.g. registry.example.org:5000" });
            }
        },
    },
    {
        name: "registry-login",
        check(problems, { written, estate }) {
            if (estate.registry.password !== undefined && written.fields.registry && estate.registry.username === undefined) {
                problems.push({ path: "registry.username", message: "registryPassword is set but registry.username is not; set both or neither" });
            }
        },
    },
    {
        name: "ssh-host-keys-checked",
        check(problems, { written }) {
            if (written.stack === "lyra") {
                if (written.fields.lyra) checkSshOpts(problems, "lyra.sshOpts", written.fields.lyra.sshOpts);
            } else {
                for (const [name, c] of written.classes) checkSshOpts(problems, `classes.${name}.sshOpts`, c.sshOpts);
            }
        },
    },
    {
        name: "image-choice",
        check(problems, { written }) {
            const items = written.stack === "lyra" ? written.devContainers.map(([n, d]) => [`devContainers.${n}`, d] as const) : written.apps.map(([n, a]) => [`apps.${n}`, a] as const);
            for (const [at, choice] of items) checkChoice(problems, at, choice);
        },
    },
    {
        name: "app-class",
        check(problems, { written }) {
            if (written.stack !== "proxima") return;
            for (const [name, a] of written.apps) {
                const at = `apps.${name}`;
                if (!(CLASSES as readonly string[]).includes(a.class)) {
                    problems.push({ path: `${at}.class`, message: `expected one of ${CLASSES.join(", ")}` });
                } else if (written.classNames !== undefined && !written.classNames.includes(a.class)) {
                    problems.push({ path: `${at}.class`, message: `class "${a.class}" is not configured under classes; add it or choose another class` });
                }
            }
        },
    },
    {
        name: "workspace-binds",
        check(problems, { estate }) {
            if (estate.stack !== "lyra") return;
            for (const d of estate.devContainers) checkWorkspaceBinds(problems, `devContainers.${d.name}`, d.volumes, estate.lyra.workspace || undefined);
        },
    },
    {
        name: "ports-distinct",
        check(problems, { estate }) {
            // Proxima's ports are distinct per class host, which class-budgets checks with the budget.
            if (estate.stack === "lyra") checkPorts(problems, "lyra", estate.devContainers.map((d) => ({ at: `devContainers.${d.name}`, ports: d.ports })));
        },
    },
    {
        name: "class-budgets",
        check(problems, { estate }) {
            if (estate.stack === "proxima") checkBudgets(problems, estate.apps, estate.classes);
        },
    },
    {
        name: "volume-names-distinct",
        check(problems, { estate }) {
            if (estate.stack === "proxima") checkVolumeNames(problems, estate.apps);
        },
    },
    {
        name: "release-digest-and-tag",
        check(problems, { written }) {
            if (written.stack === "proxima") for (const [name, r] of written.releases) checkRelease(problems, `releases.${name}`, r);
        },
    },
    {
        name: "signing-keys",
        check(problems, { written, estate }) {
            if (estate.stack === "proxima") checkSigning(problems, written.input, estate.releases.filter((r) => r.sign === true).map((r) => `releases.${r.name}`));
        },
    },
];

/** Every rule's problems, in the table's order. */
export function validate(problems: Problem[], subject: Subject): void {
    for (const rule of RULES) rule.check(problems, subject);
}
