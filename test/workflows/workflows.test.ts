import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

const DIR = path.resolve(__dirname, "../../.github/workflows");

interface Step { name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; id?: string }
interface Job { "runs-on": string; needs?: string | string[]; permissions?: Record<string, string>; environment?: string; steps: Step[]; strategy?: { matrix: Record<string, unknown[]> }; env?: Record<string, string> }
interface Workflow { name: string; on: Record<string, any>; permissions?: Record<string, string>; concurrency?: { group: string; "cancel-in-progress": boolean }; jobs: Record<string, Job>; env?: Record<string, string> }

function load(file: string): Workflow {
    return parse(fs.readFileSync(path.join(DIR, file), "utf8"), { strict: true }) as Workflow;
}

const FILES = ["build-and-push.yml", "preview.yml", "promote-release.yml", "drift.yml"];

describe(".github/workflows", () => {
    describe("every workflow", () => {
        for (const file of FILES) {
            it(`${file}: no permissions at the top, every job declares its own, actions pinned to a version`, () => {
                const wf = load(file);
                assert.deepEqual(wf.permissions, {}, "top-level permissions must be {}");
                for (const [name, job] of Object.entries(wf.jobs)) {
                    assert.ok(job.permissions && typeof job.permissions === "object", `${name} has no permissions block`);
                    for (const step of job.steps) {
                        if (step.uses) assert.match(step.uses, /^[\w.-]+\/[\w.-]+@(v\d+|\d+\.\d+\.\d+|[0-9a-f]{40})$/, `${name}: ${step.uses} is not pinned`);
                    }
                }
            });

            // actionlint (actionlint.test.ts) parses the scripts, runs shellcheck on them and flags the
            // untrusted github.event / head_ref fields; it cannot know that our dispatch inputs and the
            // commit subject a step outputs are just as untrusted.
            it(`${file}: run scripts never expand dispatch inputs or the commit subject in the shell (script injection)`, () => {
                const wf = load(file);
                for (const [name, job] of Object.entries(wf.jobs)) {
                    for (const step of job.steps.filter((s) => s.run)) {
                        assert.ok(!/\$\{\{\s*(inputs\.|steps\.[\w-]+\.outputs\.subject)/.test(step.run!), `${name}/${step.name ?? step.run}: pass it through env instead`);
                    }
                }
            });
        }
    });

    describe("drift.yml", () => {
        const wf = load("drift.yml");

        it("runs status --check on a schedule (and by hand), with the hosts' keys from secrets and host keys checked", () => {
            assert.deepEqual(Object.keys(wf.on).sort(), ["schedule", "workflow_dispatch"]);
            assert.match(wf.on.schedule[0].cron, /^[0-9]+ \* \* \* \*$/);
            const steps = wf.jobs.status.steps;
            const check = steps.find((s) => s.run?.includes("status --check"));
            assert.ok(check, "a step runs status --check");
            assert.doesNotMatch(check!.run!, /\|\| true/, "its exit code must fail the job");
            const keys = steps.find((s) => s.run?.includes("known_hosts"))!;
            assert.equal(keys.env?.KNOWN_HOSTS, "${{ secrets.PROXIMA_KNOWN_HOSTS }}");
            assert.ok(!steps.some((s) => /StrictHostKeyChecking=no|ssh-keyscan/.test(s.run ?? "")), "host keys come from a secret, never from the network");
        });
    });

    describe("promote-release.yml (seed 004)", () => {
        const wf = load("promote-release.yml");

        it("is dispatched by hand with image, digest, tag, allow_non_semver and justification", () => {
            assert.deepEqual(Object.keys(wf.on), ["workflow_dispatch"]);
            const inputs = wf.on.workflow_dispatch.inputs;
            for (const k of ["image", "digest", "tag"]) assert.equal(inputs[k].required, true, k);
            assert.deepEqual({ type: inputs.allow_non_semver.type, default: inputs.allow_non_semver.default, required: inputs.allow_non_semver.required }, { type: "boolean", default: false, required: false });
            assert.equal(inputs.justification.required, false);
            assert.match(inputs.digest.description, /without the sha256: prefix/i);
        });

        it("queues promotions of one tag and never cancels one in progress", () => {
            assert.equal(wf.concurrency!.group, "promote-release-${{ inputs.image }}-${{ inputs.tag }}");
            assert.equal(wf.concurrency!["cancel-in-progress"], false);
        });

        it("runs preflight first with read-only permissions, then promote behind the production environment", () => {
            assert.deepEqual(Object.keys(wf.jobs), ["preflight", "promote"]);
            const { preflight, promote } = wf.jobs;
            assert.deepEqual(preflight.permissions, { contents: "read", packages: "read" });
            assert.equal(preflight.environment, undefined, "preflight runs before the approval");
            const run = preflight.steps.map((s) => s.run ?? "").join("\n");
            assert.match(run, /npm run --silent release:preflight -- --image "\$IMAGE" --digest "\$DIGEST" --tag "\$TAG"/);
            assert.match(run, /--allow-non-semver --justification "\$JUSTIFICATION"/);
            assert.equal(preflight.steps.find((s) => s.run?.includes("release:preflight"))!.env!.DIGEST, "${{ inputs.digest }}");

            assert.equal(promote.needs, "preflight");
            assert.equal(promote.environment, "production");
            assert.deepEqual(promote.permissions, { contents: "write", packages: "write", "id-token": "write" });
        });

        it("promotes with pulumi up of the release only, then signs and verifies tag and digest", () => {
            const steps = wf.jobs.promote.steps;
            const up = steps.find((s) => s.uses?.startsWith("pulumi/actions") && s.with?.command === "up")!;
            assert.ok(up, "no pulumi up step");
            assert.equal(up.with!["stack-name"], "proxima");
            assert.equal(up.with!.target, "${{ steps.release.outputs.urn }}");
            assert.equal(up.with!.policyPacks, "policy");
            const config = steps.find((s) => s.id === "release")!.run!;
            assert.match(config, /urn:pulumi:proxima::image-lifecycle::image-lifecycle:release:Release::\$name/);
            for (const field of ["repository", "digest", "tag", "allowNonSemver", "justification"]) assert.match(config, new RegExp(`releases\\.\\$name\\.${field}`));
            const order = steps.map((s) => s.name ?? s.uses ?? s.run);
            const sign = steps.findIndex((s) => s.run?.includes("cosign sign"));
            assert.ok(sign > steps.indexOf(up), `cosign signs after the tag exists: ${order.join(" | ")}`);
            assert.match(steps[sign].run!, /for ref in "\$IMAGE:\$TAG" "\$IMAGE@sha256:\$DIGEST"/);
        });
    });

    describe("build-and-push.yml (seed 002/003)", () => {
        const wf = load("build-and-push.yml");
        const job = wf.jobs.build;
        const step = (re: RegExp) => job.steps.findIndex((s) => re.test(s.run ?? "") || re.test(s.uses ?? ""));

        it("builds on pushes to main with read-only repository access", () => {
            assert.deepEqual(wf.on.push.branches, ["main"]);
            assert.deepEqual(job.permissions, { contents: "read" });
            assert.equal(wf.env!.PLATFORMS, "linux/amd64,linux/arm64");
        });

        it("fills the four OCI labels from git", () => {
            const meta = job.steps.find((s) => s.id === "meta")!.run!;
            assert.match(meta, /subject="\$\(git log -1 --format=%s HEAD\)"/);
            assert.match(meta, /created="\$\(git log -1 --format=%cI HEAD\)"/);
            assert.match(meta, /revision="\$\(git rev-parse HEAD\)"/);
            const push = job.steps[step(/--push/)];
            for (const [label, v] of [["description", "DESCRIPTION"], ["created", "CREATED"], ["revision", "REVISION"], ["source", "SOURCE"]]) {
                assert.match(push.run!, new RegExp(`--label "org\\.opencontainers\\.image\\.${label}=\\$${v}"`));
            }
            assert.equal(push.env!.SOURCE, "${{ steps.meta.outputs.source }}");
            assert.equal(job.steps.find((s) => s.id === "meta")!.env!.SOURCE_URL, "${{ github.server_url }}/${{ github.repository }}");
        });

        it("tags short SHA first, then the branch, then latest on main", () => {
            const meta = job.steps.find((s) => s.id === "meta")!.run!;
            assert.match(meta, /short="\$\(git rev-parse --short=7 HEAD\)"/);
            assert.match(meta, /tags="\$image:\$short \$image:\$branch_tag"\n\s*if \[ "\$BRANCH" = "main" \]; then tags="\$tags \$image:latest"; fi/);
        });

        it("the meta script, run in a real git repository, emits the labels and tags (a hostile subject stays data)", () => {
            const meta = job.steps.find((s) => s.id === "meta")!.run!;
            const repo = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "wf-git-"));
            const git = (...args: string[]) => spawnSync("git", args, { cwd: repo, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "a", GIT_AUTHOR_EMAIL: "a@b", GIT_COMMITTER_NAME: "a", GIT_COMMITTER_EMAIL: "a@b", GIT_COMMITTER_DATE: "2026-01-25T01:10:00+00:00" } });
            git("init", "-q");
            const marker = path.join(repo, "pwned");
            const subject = `add healthcheck "quoted" $(touch ${marker}) \`touch ${marker}\``;
            assert.equal(git("commit", "-q", "--allow-empty", "-m", subject).status, 0);
            const out = path.join(repo, "out");
            const run = (branch: string) => {
                fs.writeFileSync(out, "");
                const r = spawnSync("bash", ["-c", meta], { cwd: repo, encoding: "utf8", env: { ...process.env, GITHUB_OUTPUT: out, BRANCH: branch, SOURCE_URL: "https://github.com/o/r", REGISTRY: "reg:5000", REPOSITORY: "team/app" } });
                assert.equal(r.status, 0, r.stderr);
                return fs.readFileSync(out, "utf8");
            };
            const text = run("main");
            const sha = git("rev-parse", "HEAD").stdout.trim();
            assert.match(text, new RegExp(`^revision=${sha}$`, "m"));
            assert.match(text, /^created=2026-01-25T01:10:00\+00:00$/m);
            assert.match(text, /^source=https:\/\/github\.com\/o\/r$/m);
            assert.ok(text.includes(`subject<<EOF_SUBJECT_${sha}\n${subject}\nEOF_SUBJECT_${sha}\n`), text);
            assert.match(text, new RegExp(`^tags=reg:5000/team/app:${sha.slice(0, 7)} reg:5000/team/app:main reg:5000/team/app:latest$`, "m"));
            assert.equal(fs.existsSync(marker), false, "the subject was executed");
            assert.match(run("feature/x y"), new RegExp(`^tags=reg:5000/team/app:${sha.slice(0, 7)} reg:5000/team/app:feature-x-y$`, "m"));
        });

        it("scans for HIGH/CRITICAL and checks the size budget before the one and only push", () => {
            const pushes = job.steps.filter((s) => /--push/.test(s.run ?? ""));
            assert.equal(pushes.length, 1, "pushed once");
            assert.match(pushes[0].run!, /--platform "\$PLATFORMS" --push/);
            const scanAt = step(/aquasecurity\/trivy-action/);
            const scan = job.steps[scanAt];
            assert.equal(scan.with!.severity, "HIGH,CRITICAL");
            assert.equal(scan.with!["exit-code"], "1");
            const sizeAt = step(/GITHUB_STEP_SUMMARY[\s\S]*SIZE_BUDGET_MB|SIZE_BUDGET_MB[\s\S]*GITHUB_STEP_SUMMARY/);
            assert.ok(scanAt >= 0 && sizeAt >= 0);
            assert.ok(scanAt < step(/--push/) && sizeAt < step(/--push/), "scan and size come before the push");
            const build = job.steps.findIndex((s) => /--load/.test(s.run ?? ""));
            assert.ok(build >= 0 && build < scanAt, "the scanned image is built (not pushed) first");
        });
    });

    describe("build-and-push.yml size growth (seed 003), run against a real registry", () => {
        const job = load("build-and-push.yml").jobs.build;
        const script = (id: string | RegExp) => job.steps.find((s) => (typeof id === "string" ? s.id === id : id.test(s.name ?? "")))!.run!;
        const root = path.resolve(__dirname, "../..");

        function runStep(run: string, env: Record<string, string>) {
            const dir = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "wf-growth-"));
            const output = path.join(dir, "output");
            const summary = path.join(dir, "summary");
            fs.writeFileSync(output, "");
            fs.writeFileSync(summary, "");
            // The step runs in a checkout where `npm ci` has run; here `npm --prefix` points it at this one.
            const r = spawnSync("bash", ["-c", run], { cwd: dir, encoding: "utf8", env: { ...process.env, ...env, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary } });
            const result = { status: r.status, stdout: r.stdout, stderr: r.stderr, output: fs.readFileSync(output, "utf8"), summary: fs.readFileSync(summary, "utf8") };
            fs.rmSync(dir, { recursive: true, force: true });
            return result;
        }

        it("reads the previous latest's size, then warns only when this build is over 20 % larger", async () => {
            const { sharedTestRegistry, buildAndPush } = await import("../../estate/services");
            const { randomBytes } = await import("node:crypto");
            const reg = await sharedTestRegistry();
            const repository = "wf/growth";
            const image = `${reg.registry}/${repository}`;
            const env = { REGISTRY: reg.registry, REPOSITORY: repository };
            const before = script("previous").replace(/npm run -s/g, `npm --prefix ${JSON.stringify(root)} run -s`);
            const growth = script(/^Size growth/).replace(/npm run -s/g, `npm --prefix ${JSON.stringify(root)} run -s`);

            const empty = runStep(before, env);
            assert.equal(empty.status, 0, empty.stderr);
            assert.equal(empty.output, "size=\n", "a repository without tags has nothing to compare with");

            await buildAndPush({ repository: image, tags: ["latest", "aaaaaaa"], payload: "small" });
            const previous = runStep(before, env);
            assert.equal(previous.status, 0, previous.stderr);
            const size = Number(/^size=(\d+)$/m.exec(previous.output)?.[1]);
            assert.ok(size > 0, previous.output);

            await buildAndPush({ repository: image, tags: ["bbbbbbb"], payload: randomBytes(Math.ceil(size * 0.6)).toString("base64") });
            const grew = runStep(growth, { ...env, PREVIOUS: String(size), SHORT: "bbbbbbb" });
            assert.equal(grew.status, 0, grew.stderr);
            assert.match(grew.stdout, /^::warning::The image grew \d+ %/m);
            assert.match(grew.summary, /\| \d+ bytes \| \d+ bytes \| \d+ % \|/);

            const same = runStep(growth, { ...env, PREVIOUS: String(size), SHORT: "aaaaaaa" });
            assert.equal(same.status, 0, same.stderr);
            assert.doesNotMatch(same.stdout, /::warning::/);
            assert.match(same.summary, /\| 0 % \|/);
        });
    });

    describe("the team's shared state (docs/team.md)", () => {
        it("preview and promote read PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE from secrets, refuse them empty, and use no Pulumi Cloud token", () => {
            for (const [file, job] of [["preview.yml", "preview"], ["promote-release.yml", "promote"]] as const) {
                const j = load(file).jobs[job];
                assert.equal(j.env?.PULUMI_BACKEND_URL, "${{ secrets.PULUMI_BACKEND_URL }}", file);
                assert.equal(j.env?.PULUMI_CONFIG_PASSPHRASE, "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}", file);
                const guard = j.steps.findIndex((s) => /\[ -z "\$PULUMI_BACKEND_URL" \] \|\| \[ -z "\$PULUMI_CONFIG_PASSPHRASE" \]/.test(s.run ?? ""));
                const firstPulumi = j.steps.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
                assert.ok(guard >= 0 && guard < firstPulumi, `${file}: the check comes before the first Pulumi step`);
                assert.doesNotMatch(fs.readFileSync(path.join(DIR, file), "utf8"), /PULUMI_ACCESS_TOKEN/);
            }
        });

        it("the check fails the job when a secret is empty, and passes when both are set", () => {
            const guard = load("preview.yml").jobs.preview.steps.find((s) => (s.run ?? "").includes("PULUMI_CONFIG_PASSPHRASE"))!.run!;
            const sh = (env: Record<string, string>) => spawnSync("bash", ["-e", "-c", guard], { env: { PATH: process.env.PATH, ...env }, encoding: "utf8" });
            const empty = sh({ PULUMI_BACKEND_URL: "postgres://db/pulumi_state", PULUMI_CONFIG_PASSPHRASE: "" });
            assert.equal(empty.status, 1);
            assert.match(empty.stdout, /^::error::The repository secrets PULUMI_BACKEND_URL and PULUMI_CONFIG_PASSPHRASE must both be set/);
            assert.equal(sh({ PULUMI_BACKEND_URL: "postgres://db/pulumi_state", PULUMI_CONFIG_PASSPHRASE: "team" }).status, 0);
        });
    });

    describe("preview.yml", () => {
        const wf = load("preview.yml");

        it("runs on pull requests: tests, then a preview of both stacks with the policy pack", () => {
            assert.deepEqual(Object.keys(wf.on), ["pull_request"]);
            const { test, preview } = wf.jobs;
            assert.deepEqual(test.permissions, { contents: "read" });
            assert.deepEqual(preview.permissions, { contents: "read" });
            const runs = test.steps.map((s) => s.run ?? "");
            assert.ok(runs.includes("npm ci"));
            assert.ok(runs.some((r) => /npm test$/.test(r)));
            assert.equal(preview.needs, "test");
            assert.deepEqual(preview.strategy!.matrix.stack, ["lyra", "proxima"]);
            const p = preview.steps.find((s) => s.uses?.startsWith("pulumi/actions@"))!;
            assert.deepEqual(p.with, { command: "preview", "stack-name": "${{ matrix.stack }}", "work-dir": ".", policyPacks: "policy", policyPackConfigs: "policy-pack-config.example.json" });
            assert.ok(fs.existsSync(path.resolve(DIR, "../../policy-pack-config.example.json")), "the policy config the preview uses exists");
        });
    });
});
