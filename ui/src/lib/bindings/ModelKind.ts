export type ModelKind = "chat" | "image" | "video" | "tts" | "stt" | "embedding" | "rerank" | "moderation";
