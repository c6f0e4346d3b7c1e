import type { KeySource } from "./KeySource";

export type ProfileView = { base_url: string, demo: boolean, key_source: KeySource, key_hint: string | null, };
