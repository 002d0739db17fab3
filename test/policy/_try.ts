import { policies } from "../../policy/policies";
import { runPolicies } from "./harness";
import { runProgram } from "../support/program";
import { stopAll } from "../support/services";
(async () => {
  for (const s of ["proxima"] as const) {
    const rs = await runProgram(s);
    console.log(JSON.stringify(rs.filter((r) => r.type.includes("dynamic") || r.type.includes("repositoryEnvironment")), null, 1));
    console.log(JSON.stringify(await runPolicies(policies, rs), null, 1));
  }
  await stopAll();
})().catch(async (e) => { console.error(e); await stopAll(); });
