export type KeychainStatus = { available: boolean, message: string | null, };
