//! `nexhina-simulator`: the simulated platform as a process, for scripts and end-to-end
//! tests. Prints `listening on http://127.0.0.1:PORT` once, then serves until killed.

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use clap::Parser;
use nexhina_simulator::{SimConfig, Simulator};

#[derive(Parser)]
#[command(
    name = "nexhina-simulator",
    version,
    about = "A simulated Nexhina (new-api) gateway on 127.0.0.1"
)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// The API key the simulator accepts.
    #[arg(long, default_value = "sk-demo")]
    api_key: String,
    /// Milliseconds between streamed events.
    #[arg(long, default_value_t = 15)]
    chunk_delay_ms: u64,
    /// Characters of content per streamed delta.
    #[arg(long, default_value_t = 4)]
    chunk_size: usize,
    /// Milliseconds per 10 % of video progress.
    #[arg(long, default_value_t = 300)]
    video_step_ms: u64,
    /// Name reported by /api/status.
    #[arg(long, default_value = "Nexhina Demo")]
    system_name: String,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let config = SimConfig {
        api_key: args.api_key,
        chunk_delay: Duration::from_millis(args.chunk_delay_ms),
        chunk_size: args.chunk_size.max(1),
        video_step: Duration::from_millis(args.video_step_ms),
        system_name: args.system_name,
        ..SimConfig::default()
    };
    let simulator =
        Simulator::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, args.port)), config).await?;
    // Scripts wait for exactly this line.
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "listening on {}", simulator.base_url())?;
    stdout.flush()?;
    drop(stdout);

    stopped().await;
    simulator.shutdown().await;
    Ok(())
}

/// Ctrl-C, or SIGTERM where there is one.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
