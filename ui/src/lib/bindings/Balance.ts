export type Balance = { total: number | null, used: number | null, available: number | null, unlimited: boolean, currency: string, };
