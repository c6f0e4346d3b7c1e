import type { Balance } from "./Balance";
import type { ModelInfo } from "./ModelInfo";

export type ConnectionReport = { base_url: string, models: Array<ModelInfo>, balance: Balance | null, };
