import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./policies";

// Each policy sets its own level on purpose; this is only the fallback for one that does not.
new PolicyPack(PACK_NAME, { policies, enforcementLevel: "mandatory" });
