/**
 * policy/index.ts as the Pulumi CLI runs it: a separate Node process serving the policy SDK's
 * analyzer over gRPC. The test speaks the engine's protocol to it (the generated pulumirpc client),
 * so the pack's name, version, levels and schemas, and a resource and a stack analysis, are checked
 * through the real server code, not the harness.
 */
import * as assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import { policies } from "../../policy/policies";
import { lyraEstate, proximaEstate } from "../../harness/policy-fixtures";
import type { CapturedResource } from "../../harness/policy";

/* eslint-disable @typescript-eslint/no-require-imports */
const grpc = require("@grpc/grpc-js");
const pb = require("@pulumi/pulumi/proto/analyzer_pb");
const rpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
/* eslint-enable @typescript-eslint/no-require-imports */

const LEVEL = ["advisory", "mandatory", "disabled", "remediate"];
const POLICY_DIR = path.join(__dirname, "..", "..", "policy");

function options(parent?: string) {
    const o = new pb.AnalyzerResourceOptions();
    if (parent) o.setParent(parent);
    return o;
}

function provider(ref: string | undefined, all: CapturedResource[]) {
    if (!ref) return undefined;
    const urn = ref.slice(0, ref.lastIndexOf("::"));
    const r = all.find((x) => x.urn === urn);
    const p = new pb.AnalyzerProviderResource();
    p.setType(r?.type ?? "pulumi:providers:docker");
    p.setUrn(urn);
    p.setName(r?.name ?? urn.slice(urn.lastIndexOf("::") + 2));
    p.setProperties(Struct.fromJavaScript(r?.props ?? {}));
    return p;
}

type Diag = { policy: string; level: string; message: string };
const diags = (res: any): Diag[] =>
    res.getDiagnosticsList().map((d: any) => ({ policy: d.getPolicyname(), level: LEVEL[d.getEnforcementlevel()], message: d.getMessage() }));

describe("policy/index.ts served over the analyzer gRPC protocol", function () {
    this.timeout(120000);
    let child: ChildProcess;
    let client: any;
    const call = <T>(method: string, req: unknown): Promise<T> =>
        new Promise((resolve, reject) => client[method](req, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));

    before(async () => {
        // The CLI runs the pack from its directory; PolicyPack reads the version from ./package.json there.
        child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "index.ts"], { cwd: POLICY_DIR, stdio: ["ignore", "pipe", "pipe"] });
        let stderr = "";
        child.stderr!.on("data", (d) => { stderr += d; });
        const port = await new Promise<string>((resolve, reject) => {
            child.stdout!.once("data", (d) => resolve(String(d).trim()));
            child.once("exit", (code) => reject(new Error(`policy pack exited with ${code} before serving:\n${stderr}`)));
        });
        assert.match(port, /^\d+$/);
        client = new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    });
    after(() => {
        client?.close();
        if (child && child.exitCode === null) child.kill("SIGTERM");
    });

    it("announces the pack: name, version from policy/package.json, every policy with its level and schema", async () => {
        const info: any = await call("getAnalyzerInfo", new Empty());
        assert.equal(info.getName(), "image-lifecycle");
        assert.equal(info.getVersion(), require("../../policy/package.json").version);
        const served = info.getPoliciesList().map((p: any) => `${p.getName()} ${LEVEL[p.getEnforcementlevel()]}`);
        assert.deepEqual(served, policies.map((p) => `${p.name} ${p.enforcementLevel}`));
        const budget = info.getPoliciesList().find((p: any) => p.getName() === "proxima-class-budget");
        assert.ok(budget.getConfigschema().getProperties().toJavaScript().budgets, "budget schema not served");
    });

    it("analyzes one resource: a Proxima container by tag is a mandatory violation", async () => {
        const e = proximaEstate();
        const c = e.get("web-container");
        c.props.image = "registry.example.test:5000/acme/web:latest";
        const req = new pb.AnalyzeRequest();
        req.setType(c.type);
        req.setUrn(c.urn);
        req.setName(c.name);
        req.setProperties(Struct.fromJavaScript(c.props));
        req.setOptions(options(c.parent));
        req.setProvider(provider(c.provider, e.resources));
        const got = diags(await call("analyze", req));
        assert.deepEqual(got.map((d) => `${d.policy} ${d.level}`), ["proxima-container-pinned-by-digest mandatory"]);
        assert.match(got[0].message, /runs by tag latest/);
    });

    it("analyzes a stack: a dependsOn across classes is reported by class isolation", async () => {
        const e = proximaEstate();
        e.get("web-container").dependencies.push(e.get("metrics-container").urn);
        const req = new pb.AnalyzeStackRequest();
        req.setResourcesList(e.resources.map((r) => {
            const a = new pb.AnalyzerResource();
            a.setType(r.type);
            a.setUrn(r.urn);
            a.setName(r.name);
            a.setProperties(Struct.fromJavaScript(r.props));
            a.setOptions(options(r.parent));
            const p = provider(r.provider, e.resources);
            if (p) a.setProvider(p);
            if (r.parent) a.setParent(r.parent);
            a.setDependenciesList(r.dependencies);
            for (const [k, urns] of Object.entries(r.propertyDependencies)) {
                const deps = new pb.AnalyzerPropertyDependencies();
                deps.setUrnsList(urns);
                a.getPropertydependenciesMap().set(k, deps);
            }
            return a;
        }));
        const got = diags(await call("analyzeStack", req));
        assert.deepEqual(got.map((d) => `${d.policy} ${d.level}`), ["proxima-class-isolation mandatory"]);
        assert.match(got[0].message, /web-container \(class core\) depends on metrics-container \(class monitoring\)/);
    });

    it("a Lyra estate analyzes clean, resource by resource", async () => {
        const e = lyraEstate();
        for (const r of e.resources) {
            const req = new pb.AnalyzeRequest();
            req.setType(r.type);
            req.setUrn(r.urn);
            req.setName(r.name);
            req.setProperties(Struct.fromJavaScript(r.props));
            req.setOptions(options(r.parent));
            const p = provider(r.provider, e.resources);
            if (p) req.setProvider(p);
            assert.deepEqual(diags(await call("analyze", req)), [], r.name);
        }
    });
});
