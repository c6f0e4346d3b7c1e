export type KeyStorage = "keychain" | "memory";
