/** Milliseconds, the unit of every timestamp Faultline stores. */
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;
