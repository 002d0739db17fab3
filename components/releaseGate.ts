import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { ReleaseGateConfig } from "../lib/config";
import { TYPES } from "../lib/contract";

export interface ReleaseGateArgs extends ReleaseGateConfig {
    /** Actions variables to publish, variable name → value (e.g. `DIGEST_WEB` → `sha256:…`). */
    variables: Record<string, pulumi.Input<string>>;
}

/**
 * The GitHub side of seed 004: the environment whose required reviewers approve promotions (no
 * self-review, only from allowed branches), and Actions variables pinning digests for later jobs.
 */
export class ReleaseGate extends pulumi.ComponentResource {
    public readonly environment: github.RepositoryEnvironment;
    /** Names of the Actions variables written. */
    public readonly variableNames: string[];

    constructor(name: string, args: ReleaseGateArgs, opts?: pulumi.ComponentResourceOptions) {
        super(TYPES.releaseGate, name, {}, opts);
        const [owner, repository] = args.repository.split("/");
        if (!owner || !repository) throw new Error(`ReleaseGate ${name}: repository "${args.repository}" is not owner/name. Set releaseGate.repository to e.g. rednaw/hello-world.`);
        const provider = new github.Provider(`${name}-github`, { owner }, { parent: this });
        const childOpts = { parent: this, provider };
        this.environment = new github.RepositoryEnvironment(`${name}-environment`, {
            repository,
            environment: args.environment,
            reviewers: [{ users: args.reviewers.users, teams: args.reviewers.teams }],
            preventSelfReview: true,
            canAdminsBypass: false,
            deploymentBranchPolicy: args.deploymentBranchPolicy,
        }, childOpts);
        this.variableNames = Object.keys(args.variables).sort();
        for (const variableName of this.variableNames) {
            new github.ActionsVariable(`${name}-${variableName.toLowerCase().replace(/_/g, "-")}`, {
                repository,
                variableName,
                value: args.variables[variableName],
            }, childOpts);
        }
        this.registerOutputs({ variableNames: this.variableNames });
    }
}
