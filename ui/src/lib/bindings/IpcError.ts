export type IpcError = { code: string, message: string, request_id: string | null, };
