export type KindSource = "gateway" | "name" | "user";
