export type KeySource = "keychain" | "environment" | "memory" | "demo" | "none";
