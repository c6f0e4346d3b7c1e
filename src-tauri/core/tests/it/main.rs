//! Integration tests of the core against the platform simulator: a real HTTP server on
//! loopback, real SQLite files in temp folders. One binary, a module per area.

mod account;
mod chat;
mod client_faults;
mod data;
mod images;
mod keychain;
mod search;
mod studio_profiles;
mod tools;
mod video;

use std::time::Duration;

use nexhina_core::platform::{http_client, BaseUrl, HttpOptions, PlatformClient, RetryPolicy};
use nexhina_simulator::{FaultRule, SimConfig, Simulator};

pub const KEY: &str = "sk-demo";

/// Fast retries so fault tests run in milliseconds.
pub fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        longest_wait: Duration::from_secs(3),
    }
}

pub async fn simulator() -> Simulator {
    let config = SimConfig { chunk_delay: Duration::from_millis(1), ..SimConfig::default() };
    Simulator::start(config).await.expect("the simulator starts")
}

pub fn client_for(sim: &Simulator, key: &str) -> PlatformClient {
    let http = http_client(&HttpOptions { read_timeout: Duration::from_secs(2), ..HttpOptions::default() }).unwrap();
    PlatformClient::new(http, BaseUrl::parse(&format!("{}/v1", sim.base_url())).unwrap(), key.to_string())
        .with_retry(quick_retry())
}

pub fn fault(sim: &Simulator, path_prefix: &str, spec: &str, times: u32) {
    sim.push_fault(FaultRule { path_prefix: path_prefix.into(), fault: spec.parse().expect("a valid fault spec"), times });
}

/// How many requests reached a path, to tell a retry from a single attempt.
pub fn hits(sim: &Simulator, path: &str) -> usize {
    sim.requests().iter().filter(|r| r.path.starts_with(path)).count()
}
