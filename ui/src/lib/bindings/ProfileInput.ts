import type { KeyStorage } from "./KeyStorage";

export type ProfileInput = { base_url: string, api_key: string | null, key_storage: KeyStorage, };
