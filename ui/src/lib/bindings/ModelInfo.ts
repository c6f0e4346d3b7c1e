import type { KindSource } from "./KindSource";
import type { ModelKind } from "./ModelKind";

export type ModelInfo = { id: string, kind: ModelKind, kind_source: KindSource, owned_by: string | null, };
