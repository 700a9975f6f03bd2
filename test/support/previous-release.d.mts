export declare const PREVIOUS_RELEASE_LAST_MIGRATION: string;
