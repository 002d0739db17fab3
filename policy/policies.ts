/**
 * Every policy of the pack, as plain data: index.ts hands them to the engine, tests and the benchmark
 * call them directly.
 */
import type { Policies } from "@pulumi/policy";
import { containerLimits } from "./policies/container-limits";
import { deployedImageOciLabels } from "./policies/deployed-image-oci-labels";
import { imageSizeBudget } from "./policies/image-size-budget";
import { lyraContainerRestart } from "./policies/lyra-container-restart";
import { lyraContainerUnprivileged } from "./policies/lyra-container-unprivileged";
import { lyraHostBindsInWorkspace } from "./policies/lyra-host-binds-in-workspace";
import { productionEnvironmentReviewers } from "./policies/production-environment-reviewers";
import { proximaClassBudget } from "./policies/proxima-class-budget";
import { proximaClassIsolation } from "./policies/proxima-class-isolation";
import { proximaContainerPinnedByDigest } from "./policies/proxima-container-pinned-by-digest";
import { proximaDeployRecord } from "./policies/proxima-deploy-record";
import { proximaExperimentalClass } from "./policies/proxima-experimental-class";
import { proximaWorkloadClass } from "./policies/proxima-workload-class";
import { releaseDigestFormat } from "./policies/release-digest-format";
import { releaseRegistryReachable } from "./policies/release-registry-reachable";
import { releaseTagImmutable } from "./policies/release-tag-immutable";
import { releaseTagPolicy } from "./policies/release-tag-policy";
import { releaseTagUniqueInStack } from "./policies/release-tag-unique-in-stack";
import { stackEndpointSeparation } from "./policies/stack-endpoint-separation";

/** The pack's name, as `pulumi preview` prints it. */
export const PACK_NAME = "image-lifecycle";

/** The pack's policies in report order: releases, Proxima, Lyra, both, GitHub. */
export const policies: Policies = [
    releaseTagPolicy,
    releaseDigestFormat,
    releaseTagImmutable,
    releaseRegistryReachable,
    releaseTagUniqueInStack,
    proximaContainerPinnedByDigest,
    proximaWorkloadClass,
    proximaExperimentalClass,
    proximaClassIsolation,
    proximaClassBudget,
    proximaDeployRecord,
    deployedImageOciLabels,
    lyraContainerRestart,
    lyraContainerUnprivileged,
    lyraHostBindsInWorkspace,
    stackEndpointSeparation,
    containerLimits,
    imageSizeBudget,
    productionEnvironmentReviewers,
];
