import { stopAllPostgres } from "../../estate/postgres";
import { stopAll } from "../../estate/services";

/** Mocha root hooks: services start lazily in the suites that need them and stop once at the end. */
export const mochaHooks = {
    async afterAll(this: Mocha.Context) {
        this.timeout(60000);
        await stopAllPostgres();
        await stopAll();
    },
};
