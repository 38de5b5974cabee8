/** The find-max search the tests run unless they say otherwise: doubling, at most 20 steps, 5 % resolution, p99 ≤ 50 ms, errors ≤ 0.1 %, no pauses. */
export const SIMULATED_SEARCH = { growth: 2, maxSteps: 20, resolution: 0.05, sloP99Ms: 50, maxErrorRate: 0.001, pauseMs: 0 } as const;
