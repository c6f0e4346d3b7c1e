import type { KeychainStatus } from "./KeychainStatus";
import type { ProfileView } from "./ProfileView";
import type { Settings } from "./Settings";

export type AppInfo = { version: string, data_dir: string, profile: ProfileView, keychain: KeychainStatus, settings: Settings, };
