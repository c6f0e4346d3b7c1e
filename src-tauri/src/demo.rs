//! The demo platform: the project's simulator, served on loopback inside the app so a
//! newcomer can try every screen without a key.

use nexhina_core::DemoPlatform;
use nexhina_simulator::{SimConfig, Simulator};

pub struct DemoServer {
    simulator: Simulator,
    api_key: String,
}

impl DemoServer {
    /// `None` (and the app runs without a demo) if no loopback port can be had, or when
    /// `NEXHINA_NO_DEMO` is set.
    pub fn start() -> Option<DemoServer> {
        if std::env::var_os("NEXHINA_NO_DEMO").is_some() {
            return None;
        }
        let config = SimConfig::default();
        let api_key = config.api_key.clone();
        match tauri::async_runtime::block_on(Simulator::start(config)) {
            Ok(simulator) => Some(DemoServer { simulator, api_key }),
            Err(e) => {
                eprintln!("the demo platform could not start: {e}");
                None
            }
        }
    }

    pub fn platform(&self) -> DemoPlatform {
        DemoPlatform { base_url: self.simulator.base_url(), api_key: self.api_key.clone() }
    }
}
