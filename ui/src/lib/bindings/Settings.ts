import type { Language } from "./Language";
import type { Theme } from "./Theme";

export type Settings = { theme: Theme, language: Language, };
