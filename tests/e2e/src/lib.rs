//! End-to-end harness: the real Nexhina Studio window, driven through `tauri-driver`
//! (WebDriver, which runs WebKitWebDriver, which runs the app) with `fantoccini`.
//!
//! Every [`App`] owns everything it runs and cleans it up on drop, panics included:
//!
//! - an X server: its own `Xvfb` on a free display (`:90`..`:120`), unless `DISPLAY`
//!   already points at a live local X server (set `NEXHINA_E2E_OWN_XVFB=1` to always own one);
//! - a temp folder used as `HOME`, `XDG_*` and `NEXHINA_DATA_DIR`, so tests share nothing;
//! - `tauri-driver` on two free ports, inside its own `dbus-run-session` (a private session
//!   bus, with an unlocked gnome-keyring on it when installed) and its own process group,
//!   which is killed as a whole; if the test process dies, the group kills itself too;
//! - one WebDriver session on the built binary (`target/debug/nexhina-studio`, or
//!   `NEXHINA_APP_BIN`).
//!
//! Apps run one at a time in a test binary (a process-wide lock), so
//! `cargo test -p nexhina-e2e` works with or without `--test-threads=1`.
//!
//! On a failure the drop prints the tail of the driver/app log, saves a screenshot as
//! `target/e2e-screenshots/failed-<name>.png` and keeps the temp folder.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::error::NewSessionError;
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};
use tempfile::TempDir;

pub use fantoccini;
pub use serde_json;

/// How long `wait_for` and friends wait by default.
pub const TIMEOUT: Duration = Duration::from_secs(20);
/// How long the app may take from `POST /session` to a usable window.
const SESSION_TIMEOUT: Duration = Duration::from_secs(90);
/// How long the UI may take to mount once the window is there.
const UI_TIMEOUT: Duration = Duration::from_secs(45);
const POLL: Duration = Duration::from_millis(100);
/// `comm` of the app process, as /proc shows it (at most 15 characters).
const APP_COMM: &str = "nexhina-studio";

/// Only one app at a time per test binary: WebKit on 2 cores is slow enough as it is.
static SERIAL: Mutex<()> = Mutex::new(());

// ---------------------------------------------------------------------------------------
// Paths

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// Cargo's target folder: `CARGO_TARGET_DIR` when set, else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                workspace_root().join(dir)
            }
        }
        _ => workspace_root().join("target"),
    }
}

/// The app binary under test: `NEXHINA_APP_BIN`, else `<target>/debug/nexhina-studio`.
/// Panics with the command to run when it is missing.
pub fn app_binary() -> PathBuf {
    let bin = match std::env::var_os("NEXHINA_APP_BIN") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => target_dir().join("debug").join("nexhina-studio"),
    };
    if !bin.is_file() {
        panic!(
            "the app binary {} does not exist.\n\
             Build it first (the UI, then the app):\n    \
             npm --prefix ui run build && cargo build -p nexhina-studio\n\
             or point NEXHINA_APP_BIN at a built binary.",
            bin.display()
        );
    }
    warn_if_stale(&bin);
    bin.canonicalize().unwrap_or(bin)
}

/// The UI is embedded when the app compiles: a newer `ui/dist` is not what the tests see.
fn warn_if_stale(bin: &Path) {
    let modified = |path: &Path| fs::metadata(path).and_then(|m| m.modified()).ok();
    let dist = workspace_root().join("ui/dist/index.html");
    if let (Some(app), Some(ui)) = (modified(bin), modified(&dist)) {
        if ui > app {
            eprintln!(
                "[e2e] note: {} is newer than {}: the app embeds the UI it was built with; \
                 run `cargo build -p nexhina-studio` to test the current UI.",
                dist.display(),
                bin.display()
            );
        }
    }
}

/// `<target>/e2e-screenshots`, created on demand.
pub fn screenshot_dir() -> PathBuf {
    let dir = target_dir().join("e2e-screenshots");
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// The first of `candidates` that is an executable file, else the first one found in PATH.
fn find_program(name: &str, candidates: &[PathBuf]) -> Option<PathBuf> {
    candidates
        .iter()
        .find(|path| path.is_file())
        .cloned()
        .or_else(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(name))
                    .find(|path| path.is_file())
            })
        })
}

fn tauri_driver_binary() -> PathBuf {
    let mut candidates = Vec::new();
    if let Some(path) = std::env::var_os("TAURI_DRIVER") {
        candidates.push(PathBuf::from(path));
    }
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        candidates.push(PathBuf::from(home).join("bin/tauri-driver"));
    }
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(PathBuf::from(home).join(".cargo/bin/tauri-driver"));
    }
    find_program("tauri-driver", &candidates).unwrap_or_else(|| {
        panic!(
            "tauri-driver is not installed (looked in TAURI_DRIVER, $CARGO_HOME/bin, ~/.cargo/bin, PATH).\n\
             Install it with:  cargo install tauri-driver --locked --version 2.1.0"
        )
    })
}

// ---------------------------------------------------------------------------------------
// Small process and network helpers

/// Two distinct free ports.
fn free_ports() -> (u16, u16) {
    let a = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("no free loopback port");
    let b = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("no free loopback port");
    let ports = (
        a.local_addr().expect("local addr").port(),
        b.local_addr().expect("local addr").port(),
    );
    drop((a, b));
    ports
}

/// A minimal blocking HTTP/1.1 request to 127.0.0.1 (usable in `Drop`, no runtime needed).
/// Returns the status code and the body.
fn http(method: &str, port: u16, path: &str, timeout: Duration) -> std::io::Result<(u16, String)> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("not an HTTP answer: {text:.200}")))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// Live (non-zombie) processes of a process group: (pid, comm).
fn group_members(pgid: i32) -> Vec<(i32, String)> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = fs::read_to_string(entry.path().join("stat")).ok()?;
            // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
            let open = stat.find('(')?;
            let close = stat.rfind(')')?;
            let comm = stat[open + 1..close].to_owned();
            let mut rest = stat[close + 1..].split_whitespace();
            let state = rest.next()?;
            let _ppid = rest.next()?;
            let pgrp: i32 = rest.next()?.parse().ok()?;
            (pgrp == pgid && state != "Z" && state != "X").then_some((pid, comm))
        })
        .collect()
}

/// Every live process: (pid, ppid, comm).
fn processes_with_parents() -> Vec<(i32, i32, String)> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = fs::read_to_string(entry.path().join("stat")).ok()?;
            let open = stat.find('(')?;
            let close = stat.rfind(')')?;
            let comm = stat[open + 1..close].to_owned();
            let mut rest = stat[close + 1..].split_whitespace();
            let state = rest.next()?;
            let ppid: i32 = rest.next()?.parse().ok()?;
            (state != "Z" && state != "X").then_some((pid, ppid, comm))
        })
        .collect()
}

/// A memory figure of a process in KiB from /proc: `field` is `VmRSS` (from `status`) or
/// `Pss` / `Rss` (from `smaps_rollup`). `None` when the process is gone or unreadable.
pub fn memory_kib(pid: i32, field: &str) -> Option<u64> {
    let file = if field.starts_with("Vm") {
        "status"
    } else {
        "smaps_rollup"
    };
    let text = fs::read_to_string(format!("/proc/{pid}/{file}")).ok()?;
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

fn signal_group(pgid: i32, signal: i32) {
    if pgid > 1 {
        // SAFETY: plain syscall on a process group we created.
        unsafe {
            libc::killpg(pgid, signal);
        }
    }
}

fn signal_pid(pid: i32, signal: i32) {
    if pid > 1 {
        // SAFETY: plain syscall on a process we started (directly or through the driver).
        unsafe {
            libc::kill(pid, signal);
        }
    }
}

/// Waits for `child` to exit, up to `timeout`; true when it did.
fn wait_child(child: &mut Child, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => return true,
            Ok(None) if Instant::now() >= deadline => return false,
            Ok(None) => std::thread::sleep(Duration::from_millis(25)),
        }
    }
}

fn tail(path: &Path, lines: usize) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

// ---------------------------------------------------------------------------------------
// X server

/// The X display the app shows on: our own Xvfb (killed on drop), or a borrowed one.
pub struct XDisplay {
    name: String,
    xvfb: Option<Child>,
}

impl XDisplay {
    /// `DISPLAY` when it is a live local X server (and `NEXHINA_E2E_OWN_XVFB` is not set),
    /// else a new Xvfb on a free display in `:90..=:120`.
    pub fn acquire(log_dir: &Path) -> XDisplay {
        let own =
            std::env::var_os("NEXHINA_E2E_OWN_XVFB").is_some_and(|v| !v.is_empty() && v != "0");
        if !own {
            if let Ok(display) = std::env::var("DISPLAY") {
                if display_is_live(&display) {
                    return XDisplay {
                        name: display,
                        xvfb: None,
                    };
                }
            }
        }
        Self::start_xvfb(log_dir)
    }

    fn start_xvfb(log_dir: &Path) -> XDisplay {
        let xvfb = find_program("Xvfb", &[PathBuf::from("/usr/bin/Xvfb")])
            .unwrap_or_else(|| panic!("Xvfb is not installed (apt-get install xvfb xauth)"));
        let log = log_dir.join("xvfb.log");
        // Start at a spot that depends on our pid, so parallel runs rarely collide.
        let offset = std::process::id() as usize % 31;
        let mut tried = Vec::new();
        for i in 0..31 {
            let n = 90 + (offset + i) % 31;
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                || Path::new(&format!("/tmp/.X{n}-lock")).exists()
            {
                continue;
            }
            let log_file = File::create(&log).expect("create xvfb.log");
            let mut command = Command::new(&xvfb);
            command
                .args([
                    &format!(":{n}"),
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                    "-noreset",
                ])
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().expect("dup log"))
                .stderr(log_file);
            // SAFETY: prctl only, async-signal-safe. Xvfb dies with the thread that made it.
            unsafe {
                command.pre_exec(|| {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                    Ok(())
                });
            }
            let mut child = command
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start Xvfb: {e}"));
            let name = format!(":{n}");
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Ok(Some(_)) = child.try_wait() {
                    tried.push(format!("{name}: {}", tail(&log, 3)));
                    break;
                }
                if display_is_live(&name) {
                    // Make sure the server that answers is ours, not a racing neighbour's.
                    std::thread::sleep(Duration::from_millis(100));
                    if let Ok(None) = child.try_wait() {
                        return XDisplay {
                            name,
                            xvfb: Some(child),
                        };
                    }
                    tried.push(format!("{name}: {}", tail(&log, 3)));
                    break;
                }
                if Instant::now() >= deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    tried.push(format!("{name}: not ready after 10 s"));
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!(
            "could not start Xvfb on any display :90..:120:\n{}",
            tried.join("\n")
        );
    }

    /// The display name, e.g. `:93`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether this harness started (and will stop) the X server.
    pub fn is_owned(&self) -> bool {
        self.xvfb.is_some()
    }
}

impl Drop for XDisplay {
    fn drop(&mut self) {
        if let Some(mut child) = self.xvfb.take() {
            signal_pid(child.id() as i32, libc::SIGTERM);
            if !wait_child(&mut child, Duration::from_secs(3)) {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// A local display (`:N` or `:N.S`) whose socket accepts connections; other forms
/// (`host:N`) are trusted as they are.
fn display_is_live(display: &str) -> bool {
    let Some(rest) = display.strip_prefix(':') else {
        return !display.trim().is_empty();
    };
    let number = rest.split('.').next().unwrap_or("");
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    UnixStream::connect(format!("/tmp/.X11-unix/X{number}")).is_ok()
}

// ---------------------------------------------------------------------------------------
// tauri-driver

/// `tauri-driver` in its own process group and D-Bus session.
struct Driver {
    /// `dbus-run-session` (or `sh`): the leader of the process group.
    child: Child,
    /// Closing it makes the group kill itself (our watchdog, for when the test process dies).
    stdin: Option<ChildStdin>,
    pgid: i32,
    port: u16,
    native_port: u16,
    log: PathBuf,
}

/// Runs in the driver's group: unlock a fresh keyring (when installed), run tauri-driver,
/// and kill the whole group once our end of stdin closes (drop, or the test process died).
const DRIVER_SCRIPT: &str = r#"
if command -v gnome-keyring-daemon >/dev/null 2>&1; then
  printf '%s' e2e | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1
fi
"$1" --port "$2" --native-port "$3" $4 &
read -r _ignored
kill -TERM 0
"#;

impl Driver {
    fn start(home: &Path, display: &str, log: PathBuf, env: &[(String, PathBuf)]) -> Driver {
        let tauri_driver = tauri_driver_binary();
        let native = find_program(
            "WebKitWebDriver",
            &[PathBuf::from("/usr/bin/WebKitWebDriver")],
        )
        .unwrap_or_else(|| {
            panic!("WebKitWebDriver is not installed (apt-get install webkit2gtk-driver)")
        });
        let mut failures = Vec::new();
        for _attempt in 0..3 {
            let (port, native_port) = free_ports();
            let mut driver = Self::spawn(
                &tauri_driver,
                &native,
                port,
                native_port,
                home,
                display,
                &log,
                env,
            );
            match driver.wait_ready(Duration::from_secs(20)) {
                Ok(()) => return driver,
                Err(why) => {
                    failures.push(format!("port {port}: {why}\n{}", tail(&log, 20)));
                    driver.kill();
                }
            }
        }
        panic!(
            "tauri-driver did not become ready:\n{}",
            failures.join("\n---\n")
        );
    }

    fn spawn(
        tauri_driver: &Path,
        native: &Path,
        port: u16,
        native_port: u16,
        home: &Path,
        display: &str,
        log: &Path,
        env: &[(String, PathBuf)],
    ) -> Driver {
        let log_file = File::options()
            .create(true)
            .append(true)
            .open(log)
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", log.display()));
        let dbus = find_program(
            "dbus-run-session",
            &[PathBuf::from("/usr/bin/dbus-run-session")],
        );
        let mut command = match &dbus {
            Some(dbus) => {
                let mut c = Command::new(dbus);
                c.args(["--", "sh", "-c", DRIVER_SCRIPT, "sh"]);
                c
            }
            None => {
                let mut c = Command::new("sh");
                c.args(["-c", DRIVER_SCRIPT, "sh"]);
                c
            }
        };
        command
            .arg(tauri_driver)
            .arg(port.to_string())
            .arg(native_port.to_string())
            .arg(format!("--native-driver={}", native.display()));

        let run = home.join("run");
        let data = home.join("data");
        for dir in [&run, &data] {
            fs::create_dir_all(dir).expect("create temp dirs");
        }
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = fs::set_permissions(&run, fs::Permissions::from_mode(0o700));
        }
        command
            .env("DISPLAY", display)
            .env("GDK_BACKEND", "x11")
            .env("HOME", home)
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("XDG_STATE_HOME", home.join(".local/state"))
            .env("XDG_RUNTIME_DIR", &run)
            .env("NEXHINA_DATA_DIR", &data)
            .env("LANG", "C.UTF-8")
            .env("NO_AT_BRIDGE", "1")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("NEXHINA_API_KEY")
            .env_remove("NEXHINA_NO_DEMO");
        for (key, value) in env {
            command.env(key, value);
        }
        if webkit_workarounds() {
            command
                .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
                .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
        } else {
            command
                .env_remove("WEBKIT_DISABLE_COMPOSITING_MODE")
                .env_remove("WEBKIT_DISABLE_DMABUF_RENDERER");
        }
        command
            .stdin(Stdio::piped())
            .stdout(log_file.try_clone().expect("dup log"))
            .stderr(log_file)
            .process_group(0);
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start tauri-driver through {command:?}: {e}"));
        let stdin = child.stdin.take();
        let pgid = child.id() as i32;
        Driver {
            child,
            stdin,
            pgid,
            port,
            native_port,
            log: log.to_owned(),
        }
    }

    /// Ready when WebKitWebDriver's `/status` says so and tauri-driver accepts connections.
    ///
    /// `/status` is asked of WebKitWebDriver directly, not through tauri-driver: a request
    /// forwarded by tauri-driver leaves a pooled connection behind, and the next one
    /// (`POST /session`) then sometimes fails with "Connection reset by peer".
    fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let mut last = String::from("no answer yet");
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("the driver's session exited: {status}"));
            }
            match http("GET", self.native_port, "/status", Duration::from_secs(2)) {
                Ok((200, body)) if body.replace(' ', "").contains("\"ready\":true") => {
                    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
                    match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
                        Ok(_) => return Ok(()),
                        Err(e) => last = format!("tauri-driver on port {}: {e}", self.port),
                    }
                }
                Ok((code, body)) => {
                    last = format!("WebKitWebDriver /status: HTTP {code}: {body:.200}")
                }
                Err(e) => last = format!("WebKitWebDriver /status: {e}"),
            }
            std::thread::sleep(POLL);
        }
        Err(format!("not ready after {timeout:?} ({last})"))
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Live app processes started by this driver.
    fn app_pids(&self) -> Vec<i32> {
        group_members(self.pgid)
            .into_iter()
            .filter(|(_, comm)| comm == APP_COMM)
            .map(|(pid, _)| pid)
            .collect()
    }

    /// Ends the app processes of this driver (after their session is gone).
    fn kill_apps(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let mut signal = libc::SIGTERM;
        loop {
            let pids = self.app_pids();
            if pids.is_empty() {
                return;
            }
            if Instant::now() >= deadline {
                if signal == libc::SIGKILL {
                    return;
                }
                signal = libc::SIGKILL;
            }
            for pid in pids {
                signal_pid(pid, signal);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn kill(&mut self) {
        drop(self.stdin.take());
        signal_group(self.pgid, libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && !group_members(self.pgid).is_empty() {
            std::thread::sleep(Duration::from_millis(50));
        }
        signal_group(self.pgid, libc::SIGKILL);
        if !wait_child(&mut self.child, Duration::from_secs(2)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `WEBKIT_DISABLE_COMPOSITING_MODE=1` and `WEBKIT_DISABLE_DMABUF_RENDERER=1` are set unless
/// `NEXHINA_E2E_WEBKIT_WORKAROUNDS=0`. With them, WebKitGTK here never answers the WebDriver
/// screenshot command and leaves the app running after `DELETE /session`; the harness
/// screenshots through X (`import`) and ends the app itself, so both modes work.
fn webkit_workarounds() -> bool {
    std::env::var("NEXHINA_E2E_WEBKIT_WORKAROUNDS").map_or(true, |v| v != "0")
}

// ---------------------------------------------------------------------------------------
// Sound

/// What the app may play and record sound through.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sound {
    /// Whatever the environment offers (on a test machine, usually nothing).
    #[default]
    Inherit,
    /// A private PulseAudio server with one null sink, `nullsink`: the default sink, and
    /// its monitor the default source, so what is played into the sink is also what the
    /// "microphone" hears. See [`SoundServer`].
    NullSink,
    /// No sound server and no ALSA device: playback and recording must fail clearly.
    Nothing,
}

/// How [`App::start_with_options`] starts the app.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub sound: Sound,
}

/// A PulseAudio server of the test's own, in the app's `XDG_RUNTIME_DIR`, with only a
/// null sink. Killed on drop (and when the thread that started it ends).
pub struct SoundServer {
    home: PathBuf,
    runtime: PathBuf,
    child: Child,
}

impl SoundServer {
    fn start(home: &Path) -> SoundServer {
        let runtime = home.join("run");
        fs::create_dir_all(&runtime).expect("create the runtime folder");
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = fs::set_permissions(&runtime, fs::Permissions::from_mode(0o700));
        }
        let log = File::create(home.join("pulseaudio.log")).expect("create pulseaudio.log");
        let mut command = Command::new("pulseaudio");
        command
            .args([
                "-n",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--system=false",
                "--disallow-exit",
                "--load=module-null-sink sink_name=nullsink",
                "--load=module-native-protocol-unix",
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("dup log"))
            .stderr(log);
        Self::with_env_of(&mut command, home, &runtime);
        // SAFETY: prctl only, async-signal-safe. The server dies with the thread that made it.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let child = command.spawn().unwrap_or_else(|e| {
            panic!("cannot start pulseaudio (scripts/setup.sh installs it): {e}")
        });
        let mut server = SoundServer {
            home: home.to_owned(),
            runtime,
            child,
        };
        let socket = server.runtime.join("pulse/native");
        let deadline = Instant::now() + Duration::from_secs(15);
        while !socket.exists() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "pulseaudio exited ({status}): {}",
                    tail(&home.join("pulseaudio.log"), 10)
                );
            }
            assert!(
                Instant::now() < deadline,
                "pulseaudio did not start: {}",
                tail(&home.join("pulseaudio.log"), 10)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        for args in [
            ["set-default-sink", "nullsink"],
            ["set-default-source", "nullsink.monitor"],
        ] {
            let status = server
                .command("pactl")
                .args(args)
                .status()
                .expect("run pactl");
            assert!(status.success(), "pactl {args:?} failed");
        }
        server
    }

    fn with_env_of<'a>(command: &'a mut Command, home: &Path, runtime: &Path) -> &'a mut Command {
        command
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_RUNTIME_DIR", runtime)
            .env("PULSE_RUNTIME_PATH", runtime.join("pulse"))
            .env_remove("PULSE_SERVER")
    }

    /// What a client needs to find this server (the app gets these).
    fn env(&self) -> Vec<(String, PathBuf)> {
        vec![
            ("XDG_RUNTIME_DIR".into(), self.runtime.clone()),
            ("PULSE_RUNTIME_PATH".into(), self.runtime.join("pulse")),
        ]
    }

    /// A command (`parec`, `paplay`, `pactl`, ...) that talks to this server.
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        Self::with_env_of(&mut command, &self.home, &self.runtime);
        command
    }

    /// Starts recording what the sink plays (its monitor), as 16 kHz mono.
    pub fn record(&self) -> SinkRecording {
        let mut parec = self
            .command("parec")
            .args([
                "-d",
                "nullsink.monitor",
                "--raw",
                "--format=s16le",
                "--rate=16000",
                "--channels=1",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("parec (pulseaudio-utils) is installed by scripts/setup.sh");
        let mut out = parec.stdout.take().expect("parec's stdout");
        let reader = std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = out.read_to_end(&mut bytes);
            bytes
        });
        SinkRecording { parec, reader }
    }

    /// Plays a sound file into the sink (and so to the default source); returns when done.
    pub fn play(&self, file: &Path) {
        let status = self
            .command("paplay")
            .args(["-d", "nullsink"])
            .arg(file)
            .status()
            .expect("paplay (pulseaudio-utils) is installed by scripts/setup.sh");
        assert!(status.success(), "paplay {} failed", file.display());
    }
}

impl Drop for SoundServer {
    fn drop(&mut self) {
        signal_pid(self.child.id() as i32, libc::SIGTERM);
        if !wait_child(&mut self.child, Duration::from_secs(3)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// What the sink's monitor heard since [`SoundServer::record`].
pub struct SinkRecording {
    parec: Child,
    reader: std::thread::JoinHandle<Vec<u8>>,
}

impl SinkRecording {
    /// Stops and returns the samples (16 kHz, mono, signed 16-bit).
    pub fn stop(mut self) -> Vec<i16> {
        let _ = self.parec.kill();
        let _ = self.parec.wait();
        let bytes = self.reader.join().unwrap_or_default();
        bytes
            .chunks_exact(2)
            .map(|b| i16::from_le_bytes([b[0], b[1]]))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// The app

fn testid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

/// The real app in a WebDriver session, with everything it needs. See the crate docs.
pub struct App {
    name: String,
    client: Option<Client>,
    session_id: Option<String>,
    driver: Option<Driver>,
    display: Option<XDisplay>,
    home: Option<TempDir>,
    started: Instant,
    /// Declared last so it outlives the app (fields drop in order, after `Drop::drop`).
    sound: Option<SoundServer>,
    _serial: MutexGuard<'static, ()>,
}

impl App {
    /// Starts the app with a fresh data folder; `name` labels logs and failure screenshots.
    /// Returns once the window shows the navigation rail.
    pub async fn start(name: &str) -> App {
        Self::start_with(name, |_| {}).await
    }

    /// Like [`App::start`], but `prepare` gets the (empty) data folder first, before the app
    /// opens it: to seed a library the way another process (the CLI) would.
    pub async fn start_with(name: &str, prepare: impl FnOnce(&Path)) -> App {
        Self::start_with_options(name, Options::default(), prepare).await
    }

    /// Like [`App::start_with`], with a choice of what the app gets besides the defaults
    /// (a private sound server, say).
    pub async fn start_with_options(
        name: &str,
        options: Options,
        prepare: impl FnOnce(&Path),
    ) -> App {
        let serial = SERIAL
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let started = Instant::now();
        let binary = app_binary();
        let home = tempfile::Builder::new()
            .prefix(&format!("nexhina-e2e-{name}-"))
            .tempdir()
            .expect("create temp dir");
        let display = XDisplay::acquire(home.path());
        let data = home.path().join("data");
        fs::create_dir_all(&data).expect("create the data folder");
        prepare(&data);
        let mut env = Vec::new();
        let sound = match options.sound {
            Sound::Inherit => None,
            Sound::NullSink => {
                let server = SoundServer::start(home.path());
                env.extend(server.env());
                Some(server)
            }
            Sound::Nothing => {
                // No ALSA configuration means no device at all, PulseAudio's plugin included.
                env.push(("ALSA_CONFIG_PATH".into(), home.path().join("no-alsa.conf")));
                env.push(("PULSE_SERVER".into(), home.path().join("no-pulse")));
                None
            }
        };
        let driver = Driver::start(
            home.path(),
            display.name(),
            home.path().join("driver.log"),
            &env,
        );
        let mut app = App {
            name: name.to_owned(),
            client: None,
            session_id: None,
            driver: Some(driver),
            display: Some(display),
            home: Some(home),
            started,
            sound,
            _serial: serial,
        };
        app.open_session(&binary).await;
        app
    }

    async fn open_session(&mut self, binary: &Path) {
        let url = self.driver().url();
        let mut caps = Capabilities::new();
        // No browserName: WebKitWebDriver would then ask for things the app is not.
        caps.insert("tauri:options".into(), json!({ "application": binary }));
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let mut builder = ClientBuilder::new(connector);
        builder.capabilities(caps);
        let mut attempt = 0;
        let client = loop {
            attempt += 1;
            match tokio::time::timeout(SESSION_TIMEOUT, builder.connect(&url)).await {
                Ok(Ok(client)) => break client,
                // tauri-driver forwards over a pooled connection that WebKitWebDriver may
                // have closed ("Connection reset by peer"), and does not retry: the request
                // never reached the driver, so no app started. Try again.
                Ok(Err(
                    e @ (NewSessionError::Failed(_)
                    | NewSessionError::FailedC(_)
                    | NewSessionError::Lost(_)),
                )) if attempt < 3 => {
                    eprintln!(
                        "[e2e {}] POST /session failed ({e}); trying again",
                        self.name
                    );
                    self.driver().kill_apps(Duration::from_secs(3));
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                Ok(Err(e)) => panic!(
                    "[e2e {}] POST /session failed: {e}\n{}",
                    self.name,
                    self.log_tail(40)
                ),
                Err(_) => panic!(
                    "[e2e {}] POST /session did not answer in {SESSION_TIMEOUT:?}\n{}",
                    self.name,
                    self.log_tail(40)
                ),
            }
        };
        self.session_id = client.session_id().await.ok().flatten();
        self.client = Some(client);
        // The page is served by the app itself; wait until Svelte has mounted the shell.
        // A UI that throws while loading never will: say why at once instead of timing out.
        let deadline = Instant::now() + UI_TIMEOUT;
        let mut next_check = Instant::now() + Duration::from_secs(5);
        while !self.is_visible("nav-settings").await {
            if Instant::now() >= next_check {
                next_check = Instant::now() + Duration::from_secs(5);
                if let Some(why) = self.diagnose_blank_page().await {
                    if why.contains(" throws: ") {
                        panic!(
                            "[e2e {}] the app's UI did not load: {why}\n                             (this is the app's own error, seen in the real window; check the \
                             built UI in ui/dist and rebuild the app)",
                            self.name
                        );
                    }
                }
            }
            if Instant::now() >= deadline {
                self.fail(&format!(
                    "the app's window did not show the navigation within {UI_TIMEOUT:?}"
                ))
                .await;
            }
            tokio::time::sleep(POLL).await;
        }
        eprintln!(
            "[e2e {}] app up after {:.1?} (display {}{}, data {})",
            self.name,
            self.started.elapsed(),
            self.display().name(),
            if self.display().is_owned() {
                ", own Xvfb"
            } else {
                ""
            },
            self.data_dir().display()
        );
    }

    /// Quits the app (ends the WebDriver session, and the process if it lingers) and starts
    /// it again on the same data folder, like a person closing and reopening it.
    pub async fn restart(&mut self) {
        self.end_session().await;
        self.started = Instant::now();
        self.open_session(&app_binary()).await;
    }

    async fn end_session(&mut self) {
        if let Some(client) = self.client.take() {
            // DELETE /session. It answers at once, but bound it anyway.
            let _ = tokio::time::timeout(Duration::from_secs(10), client.close()).await;
        }
        self.session_id = None;
        let driver = self.driver();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && !driver.app_pids().is_empty() {
            tokio::time::sleep(POLL).await;
        }
        // Still there (it is, with the WebKit workarounds on): end it like a window manager would.
        driver.kill_apps(Duration::from_secs(5));
    }

    /// Ends the session and stops everything now (drop does the same).
    pub async fn close(mut self) {
        self.end_session().await;
    }

    fn driver(&self) -> &Driver {
        self.driver.as_ref().expect("driver is running")
    }

    fn display(&self) -> &XDisplay {
        self.display.as_ref().expect("display is running")
    }

    /// The WebDriver client, for anything the helpers do not cover.
    pub fn client(&self) -> &Client {
        self.client.as_ref().expect("no WebDriver session")
    }

    /// The temp folder used as HOME for this app.
    pub fn home(&self) -> &Path {
        self.home.as_ref().expect("home").path()
    }

    /// `NEXHINA_DATA_DIR` of this app.
    pub fn data_dir(&self) -> PathBuf {
        self.home().join("data")
    }

    /// The app's private sound server (started with [`Sound::NullSink`]).
    pub fn sound(&self) -> &SoundServer {
        self.sound
            .as_ref()
            .expect("the app was started without Sound::NullSink")
    }

    /// The app's processes: the app itself and everything it started (WebKit's web and
    /// network processes), as (pid, comm).
    pub fn app_processes(&self) -> Vec<(i32, String)> {
        let Some(driver) = &self.driver else {
            return Vec::new();
        };
        let mut found: Vec<(i32, String)> = group_members(driver.pgid)
            .into_iter()
            .filter(|(_, comm)| comm == APP_COMM)
            .collect();
        let all = processes_with_parents();
        let mut i = 0;
        while i < found.len() {
            let parent = found[i].0;
            for (pid, ppid, comm) in &all {
                if *ppid == parent && !found.iter().any(|(p, _)| p == pid) {
                    found.push((*pid, comm.clone()));
                }
            }
            i += 1;
        }
        found
    }

    /// The last lines of the tauri-driver / WebKitWebDriver / app log.
    pub fn log_tail(&self, lines: usize) -> String {
        match &self.driver {
            Some(driver) => format!(
                "--- {} (last {lines} lines) ---\n{}",
                driver.log.display(),
                tail(&driver.log, lines)
            ),
            None => String::new(),
        }
    }

    // -- finding ----------------------------------------------------------------------

    /// The element with this `data-testid`, if it is in the page now.
    pub async fn find(&self, id: &str) -> Option<Element> {
        self.client().find(Locator::Css(&testid(id))).await.ok()
    }

    /// Whether an element with this `data-testid` is in the page and displayed now.
    pub async fn is_visible(&self, id: &str) -> bool {
        match self.find(id).await {
            Some(element) => element.is_displayed().await.unwrap_or(false),
            None => false,
        }
    }

    /// Waits until the element with this `data-testid` is displayed ([`TIMEOUT`]).
    pub async fn wait_for(&self, id: &str) -> Element {
        self.wait_for_timeout(id, TIMEOUT).await
    }

    /// Waits until the element with this `data-testid` is displayed.
    pub async fn wait_for_timeout(&self, id: &str, timeout: Duration) -> Element {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(element) = self.find(id).await {
                if element.is_displayed().await.unwrap_or(false) {
                    return element;
                }
            }
            if Instant::now() >= deadline {
                self.fail(&format!(
                    "timed out after {timeout:?} waiting for {} to be displayed",
                    testid(id)
                ))
                .await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the element is in the page (displayed or not: a visually hidden radio,
    /// for instance).
    pub async fn wait_present(&self, id: &str) -> Element {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(element) = self.find(id).await {
                return element;
            }
            if Instant::now() >= deadline {
                self.fail(&format!(
                    "timed out after {TIMEOUT:?} waiting for {} in the page",
                    testid(id)
                ))
                .await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until no element with this `data-testid` is displayed.
    pub async fn wait_gone(&self, id: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while self.is_visible(id).await {
            if Instant::now() >= deadline {
                self.fail(&format!(
                    "timed out after {TIMEOUT:?} waiting for {} to go away",
                    testid(id)
                ))
                .await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the element's text satisfies `check`; returns the text.
    pub async fn wait_for_text(
        &self,
        id: &str,
        what: &str,
        check: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + TIMEOUT;
        let mut last = String::new();
        loop {
            if let Some(element) = self.find(id).await {
                if let Ok(text) = element.text().await {
                    if check(&text) {
                        return text;
                    }
                    last = text;
                }
            }
            if Instant::now() >= deadline {
                self.fail(&format!(
                    "timed out after {TIMEOUT:?} waiting for the text of {} to {what}; last text: {last:?}",
                    testid(id)
                ))
                .await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    // -- acting -----------------------------------------------------------------------

    /// Clicks the element with this `data-testid` (waits for it, retries while it is not
    /// clickable yet, e.g. disabled during a request).
    pub async fn click(&self, id: &str) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let element = self.wait_present(id).await;
            let enabled = element.is_enabled().await.unwrap_or(false);
            let error = if enabled {
                match element.click().await {
                    Ok(()) => return,
                    Err(e) => e.to_string(),
                }
            } else {
                "disabled".to_owned()
            };
            if Instant::now() >= deadline {
                self.fail(&format!(
                    "could not click {} within {TIMEOUT:?}: {error}",
                    testid(id)
                ))
                .await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Replaces the value of an input with `text`, typed key by key.
    pub async fn type_into(&self, id: &str, text: &str) {
        let element = self.wait_for(id).await;
        if let Err(e) = element.clear().await {
            self.fail(&format!("could not clear {}: {e}", testid(id)))
                .await;
        }
        if let Err(e) = element.send_keys(text).await {
            self.fail(&format!("could not type into {}: {e}", testid(id)))
                .await;
        }
        let value = self.value_of(id).await;
        if value != text {
            self.fail(&format!(
                "typed {text:?} into {} but it holds {value:?}",
                testid(id)
            ))
            .await;
        }
    }

    /// Chooses the option with this `value` in a `<select>`, as a click on the option
    /// would, and checks the select took it.
    pub async fn select(&self, id: &str, value: &str) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let element = self.wait_for(id).await;
            let chosen = element.is_enabled().await.unwrap_or(false)
                && element.select_by_value(value).await.is_ok();
            if chosen && self.value_of(id).await == value {
                return;
            }
            if Instant::now() >= deadline {
                let now = self.value_of(id).await;
                self.fail(&format!(
                    "could not choose {value:?} in {} within {TIMEOUT:?}; it holds {now:?}",
                    testid(id)
                ))
                .await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The visible text of the element (waits for it to be displayed).
    pub async fn text_of(&self, id: &str) -> String {
        let element = self.wait_for(id).await;
        match element.text().await {
            Ok(text) => text,
            Err(e) => {
                self.fail(&format!("could not read the text of {}: {e}", testid(id)))
                    .await
            }
        }
    }

    /// The current `value` of an input or select.
    pub async fn value_of(&self, id: &str) -> String {
        let element = self.wait_present(id).await;
        match element.prop("value").await {
            Ok(value) => value.unwrap_or_default(),
            Err(e) => {
                self.fail(&format!("could not read the value of {}: {e}", testid(id)))
                    .await
            }
        }
    }

    /// An attribute of the element (`None` when absent).
    pub async fn attr_of(&self, id: &str, attribute: &str) -> Option<String> {
        let element = self.wait_present(id).await;
        element.attr(attribute).await.unwrap_or(None)
    }

    /// Scrolls the element to the top of its scrolling container.
    pub async fn scroll_to(&self, id: &str) {
        self.wait_present(id).await;
        self.execute(
            "document.querySelector(arguments[0]).scrollIntoView({block: 'start'});",
            vec![json!(testid(id))],
        )
        .await;
    }

    /// Runs a script in the page (`return` a value to get it back).
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        match self.client().execute(script, args).await {
            Ok(value) => value,
            Err(e) => self.fail(&format!("script failed: {e}\n{script}")).await,
        }
    }

    /// Calls one of the app's IPC commands, as the UI does; `Err` carries what it threw.
    pub async fn invoke(&self, command: &str, args: Value) -> Result<Value, Value> {
        let script = "const done = arguments[arguments.length - 1];\
            window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1])\
              .then((value) => done({ ok: value === undefined ? null : value }),\
                    (error) => done({ err: error === undefined ? null : error }));";
        let answer = match self
            .client()
            .execute_async(script, vec![json!(command), args])
            .await
        {
            Ok(answer) => answer,
            Err(e) => {
                self.fail(&format!("invoke({command}) could not run: {e}"))
                    .await
            }
        };
        match answer {
            Value::Object(mut map) if map.contains_key("ok") => {
                Ok(map.remove("ok").unwrap_or(Value::Null))
            }
            Value::Object(mut map) => Err(map.remove("err").unwrap_or(Value::Null)),
            other => Err(other),
        }
    }

    /// Waits for two animation frames, so what was just changed is painted.
    pub async fn settle(&self) {
        let _ = self
            .client()
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 requestAnimationFrame(() => requestAnimationFrame(() => done(null)));",
                vec![],
            )
            .await;
        tokio::time::sleep(Duration::from_millis(150)).await;
    }

    /// The page's visible text (for diagnostics).
    pub async fn page_text(&self) -> String {
        let script = "return document.body ? document.body.innerText : '(no body)';";
        match tokio::time::timeout(
            Duration::from_secs(5),
            self.client().execute(script, vec![]),
        )
        .await
        {
            Ok(Ok(Value::String(text))) => text,
            Ok(Ok(other)) => other.to_string(),
            Ok(Err(e)) => format!("(page text unavailable: {e})"),
            Err(_) => "(page text unavailable: no answer in 5 s)".to_owned(),
        }
    }

    // -- screenshots ------------------------------------------------------------------

    /// Saves a PNG of the app window as X shows it (ImageMagick `import`, cropped to the
    /// window). The WebDriver screenshot command is not used: with the WebKit workarounds
    /// it never answers and blocks the session.
    pub async fn screenshot(&self, path: impl AsRef<Path>) {
        let path = path.as_ref();
        self.settle().await;
        let rect = match self.client().get_window_rect().await {
            Ok(rect) => Some(rect),
            Err(e) => {
                eprintln!(
                    "[e2e {}] window rect unknown ({e}); saving the whole screen",
                    self.name
                );
                None
            }
        };
        if let Err(e) = capture(self.display().name(), rect, path) {
            self.fail(&format!("screenshot {} failed: {e}", path.display()))
                .await;
        }
    }

    /// Prints what the page shows, then panics with `message`.
    async fn fail(&self, message: &str) -> ! {
        let text = self.page_text().await;
        let blank = match self.diagnose_blank_page().await {
            Some(why) => format!("\n--- the UI did not mount ---\n{why}"),
            None => String::new(),
        };
        panic!(
            "[e2e {}] {message}\n--- page text ---\n{text:.2000}{blank}",
            self.name
        );
    }

    /// When `#app` is empty (the UI never mounted), evaluates the page's entry module once
    /// more to catch what it throws: WebKitWebDriver offers no console log to read.
    async fn diagnose_blank_page(&self) -> Option<String> {
        let client = self.client.as_ref()?;
        let script = "const done = arguments[arguments.length - 1];\
            const root = document.getElementById('app');\
            if (!root) { done('there is no #app element: ' + document.documentElement.outerHTML.slice(0, 400)); return; }\
            if (root.childElementCount > 0) { done(null); return; }\
            const entry = document.querySelector('script[type=module][src]');\
            if (!entry) { done('#app is empty and the page has no module script'); return; }\
            import(entry.src + '?e2e-diagnose=' + Date.now()).then(\
              () => done('#app is empty, yet ' + entry.src + ' evaluates without an error now'),\
              (e) => done('#app is empty; ' + entry.src + ' throws: ' + e + '\\n' + (e && e.stack || '')));";
        match tokio::time::timeout(
            Duration::from_secs(10),
            client.execute_async(script, vec![]),
        )
        .await
        {
            Ok(Ok(Value::String(why))) => Some(why),
            Ok(Ok(_)) => None,
            Ok(Err(e)) => Some(format!("(could not inspect the page: {e})")),
            Err(_) => Some("(the page did not answer a script in 10 s)".to_owned()),
        }
    }
}

/// `import -window root`, cropped to the window rectangle when known.
fn capture(display: &str, rect: Option<(u64, u64, u64, u64)>, path: &Path) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("create {}: {e}", parent.display()))?;
    }
    let import = find_program("import", &[PathBuf::from("/usr/bin/import")])
        .ok_or("ImageMagick's `import` is not installed (apt-get install imagemagick)")?;
    let mut command = Command::new(import);
    command.args(["-display", display, "-window", "root"]);
    if let Some((x, y, w, h)) = rect {
        if w > 0 && h > 0 {
            command.args(["-crop", &format!("{w}x{h}+{x}+{y}"), "+repage"]);
        }
    }
    let output = command
        .arg(format!("png:{}", path.display()))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run import: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "import failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(())
}

impl Drop for App {
    fn drop(&mut self) {
        let failed = std::thread::panicking();
        if failed {
            if let Some(display) = &self.display {
                let shot = screenshot_dir().join(format!("failed-{}.png", self.name));
                match capture(display.name(), None, &shot) {
                    Ok(()) => {
                        eprintln!("[e2e {}] screen at failure: {}", self.name, shot.display())
                    }
                    Err(e) => eprintln!("[e2e {}] no failure screenshot: {e}", self.name),
                }
            }
            eprintln!("[e2e {}] {}", self.name, self.log_tail(60));
        }
        // End the session without a runtime (we may be unwinding out of one).
        if let (Some(driver), Some(id)) = (&self.driver, self.session_id.take()) {
            let _ = http(
                "DELETE",
                driver.port,
                &format!("/session/{id}"),
                Duration::from_secs(5),
            );
        }
        drop(self.client.take());
        if let Some(mut driver) = self.driver.take() {
            driver.kill_apps(Duration::from_secs(2));
            driver.kill();
        }
        drop(self.display.take());
        if let Some(home) = self.home.take() {
            if failed {
                let kept = home.keep();
                eprintln!(
                    "[e2e {}] kept the app's folder for a look: {}",
                    self.name,
                    kept.display()
                );
            }
        }
    }
}
