//! The Chat view in the real window: a turn streaming in, Stop, Regenerate, an attached
//! image, Ctrl+K search, a restart; hostile markup in a reply; screenshots of a long,
//! rich conversation in both themes.
//!
//! The app talks to a simulator this test owns, so replies can be scripted
//! (`Simulator::push_reply`) and every request the app made can be checked.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nexhina_e2e::fantoccini::Locator;
use nexhina_e2e::serde_json::{json, Value};
use nexhina_e2e::{screenshot_dir, App, TIMEOUT};
use nexhina_simulator::{SimConfig, Simulator};

use crate::{connect_to, open_settings};

const ENTER: &str = "\u{E007}";
const CONTROL: &str = "\u{E009}";

/// 15 ms between deltas of 4 characters: an echo reply streams for about two seconds.
async fn simulator() -> Simulator {
    Simulator::start(SimConfig {
        chunk_delay: Duration::from_millis(15),
        ..SimConfig::default()
    })
    .await
    .expect("start the simulator")
}

/// Points the app at `sim` through Settings (key in the keychain), then opens Chat.
async fn connect(app: &App, sim: &Simulator) {
    connect_to(app, sim).await;
    app.click("nav-chat").await;
    app.wait_for("view-chat").await;
}

/// One message as the window shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Shown {
    id: i64,
    role: String,
    status: String,
    text: String,
    attachments: usize,
    badge: Option<String>,
}

impl Shown {
    fn from_json(value: &Value) -> Shown {
        Shown {
            id: value["id"].as_i64().unwrap_or(-1),
            role: value["role"].as_str().unwrap_or("").to_owned(),
            status: value["status"].as_str().unwrap_or("").to_owned(),
            text: value["text"].as_str().unwrap_or("").to_owned(),
            attachments: value["attachments"].as_u64().unwrap_or(0) as usize,
            badge: value["badge"].as_str().map(str::to_owned),
        }
    }
}

const READ_MESSAGE: &str = "const read = (m) => ({\
      id: Number(m.dataset.id), role: m.dataset.role, status: m.dataset.status,\
      text: (m.querySelector('[data-testid=\"message-content\"]') || {innerText: ''}).innerText.trim(),\
      attachments: m.querySelectorAll('[data-testid=\"message-attachment\"]').length,\
      badge: (m.querySelector('[data-testid=\"stopped-badge\"]') || {innerText: null}).innerText });";

/// The messages rendered now (the list is virtual: those in or near the view), by id.
async fn rendered(app: &App) -> Vec<Shown> {
    let script = format!(
        "{READ_MESSAGE} return Array.from(document.querySelectorAll('[data-testid=\"message\"]'), read)\
           .sort((a, b) => a.id - b.id);"
    );
    match app.execute(&script, vec![]).await {
        Value::Array(items) => items.iter().map(Shown::from_json).collect(),
        other => panic!("messages script returned {other}"),
    }
}

/// Every message of the open conversation: scrolls the list from top to bottom and reads
/// what each step renders.
async fn all_messages(app: &App) -> Vec<Shown> {
    app.wait_for("message-list").await;
    let script = format!(
        "const done = arguments[arguments.length - 1];\
         {READ_MESSAGE}\
         const list = document.querySelector('[data-testid=\"message-list\"]');\
         const seen = new Map();\
         const grab = () => document.querySelectorAll('[data-testid=\"message\"]').forEach((m) => seen.set(m.dataset.id, read(m)));\
         const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));\
         (async () => {{\
           list.scrollTop = 0; await frames(); grab();\
           for (let i = 0; i < 200 && list.scrollTop + list.clientHeight < list.scrollHeight - 2; i++) {{\
             list.scrollTop += Math.max(40, list.clientHeight / 2); await frames(); grab();\
           }}\
           list.scrollTop = list.scrollHeight; await frames(); grab();\
           done(Array.from(seen.values()).sort((a, b) => a.id - b.id));\
         }})().catch((e) => done(String(e)));"
    );
    match app.client().execute_async(&script, vec![]).await {
        Ok(Value::Array(items)) => items.iter().map(Shown::from_json).collect(),
        other => panic!("reading the messages failed: {other:?}"),
    }
}

/// Polls `rendered` until `check` holds; returns the messages then.
async fn wait_messages(app: &App, what: &str, check: impl Fn(&[Shown]) -> bool) -> Vec<Shown> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let shown = rendered(app).await;
        if check(&shown) {
            return shown;
        }
        if Instant::now() >= deadline {
            panic!(
                "timed out after {TIMEOUT:?} waiting for {what}; the window shows:\n{shown:#?}\n--- page ---\n{:.1500}",
                app.page_text().await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn last_reply(shown: &[Shown]) -> Option<&Shown> {
    shown.iter().rev().find(|m| m.role == "assistant")
}

/// Types into the composer and presses Enter, as a person sends a message.
async fn send(app: &App, text: &str) {
    app.type_into("composer-input", text).await;
    let input = app.wait_for("composer-input").await;
    input.send_keys(ENTER).await.expect("press Enter");
    let deadline = Instant::now() + TIMEOUT;
    while !app.value_of("composer-input").await.is_empty() {
        assert!(
            Instant::now() < deadline,
            "the composer still holds the text after Enter"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the newest reply is settled as `status` and follows a user message that
/// contains `asked`.
async fn wait_settled(app: &App, asked: &str, status: &str) -> Vec<Shown> {
    wait_messages(app, &format!("a {status} reply to {asked:?}"), |shown| {
        let n = shown.len();
        n >= 2
            && shown[n - 2].role == "user"
            && shown[n - 2].text.contains(asked)
            && shown[n - 1].role == "assistant"
            && shown[n - 1].status == status
    })
    .await
}

async fn click_css(app: &App, css: &str) {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let error = match app.client().find(Locator::Css(css)).await {
            Ok(element) => match element.click().await {
                Ok(()) => return,
                Err(e) => format!("{e:?}"),
            },
            Err(e) => format!("{e:?}"),
        };
        assert!(Instant::now() < deadline, "could not click {css}: {error}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// (id, title) of each conversation in the sidebar, top first.
async fn conversations(app: &App) -> Vec<(i64, String)> {
    let script =
        "return Array.from(document.querySelectorAll('[data-testid=\"conversation-item\"]'),\
        (row) => [Number(row.dataset.id), row.querySelector('.title').innerText.trim()]);";
    match app.execute(script, vec![]).await {
        Value::Array(rows) => rows
            .iter()
            .map(|r| {
                (
                    r[0].as_i64().unwrap_or(-1),
                    r[1].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect(),
        other => panic!("conversation list script returned {other}"),
    }
}

/// `innerText` of the first element matching `css` (WebKitWebDriver's element text leaves
/// out text that CSS may ellipsize).
async fn inner_text(app: &App, css: &str) -> String {
    let script =
        "const e = document.querySelector(arguments[0]); return e ? e.innerText.trim() : '';";
    app.execute(script, vec![json!(css)])
        .await
        .as_str()
        .unwrap_or("")
        .to_owned()
}

/// The open conversation's title in the header (read from the DOM: WebKitWebDriver's
/// element text was seen to answer "" for it).
async fn header_title(app: &App) -> String {
    let script = "const h = document.querySelector('[data-testid=\"conversation-title\"]');\
        return h ? h.textContent.trim() : '';";
    app.execute(script, vec![])
        .await
        .as_str()
        .unwrap_or("")
        .to_owned()
}

async fn wait_title(app: &App, what: &str, check: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let title = header_title(app).await;
        if check(&title) {
            return title;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for the header title to {what}; it says {title:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn open_conversation(app: &App, id: i64, title: &str) {
    click_css(
        app,
        &format!("[data-testid=\"conversation-item\"][data-id=\"{id}\"] .open"),
    )
    .await;
    wait_title(app, &format!("be {title:?}"), |t| t == title).await;
    app.wait_for("message-list").await;
}

/// Whether every attachment thumbnail in the view decoded (a real image, not a broken icon).
async fn thumbnails_loaded(app: &App) -> bool {
    let script = "const imgs = Array.from(document.querySelectorAll('[data-testid=\"message-attachment\"] img'));\
        return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);";
    app.execute(script, vec![]).await == Value::Bool(true)
}

async fn wait_thumbnails(app: &App) {
    let deadline = Instant::now() + TIMEOUT;
    while !thumbnails_loaded(app).await {
        assert!(
            Instant::now() < deadline,
            "the attached image's thumbnail never showed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---------------------------------------------------------------------------------------
// A real PNG on disk, written without an image library: stored (uncompressed) deflate.

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut raw = Vec::new();
    for y in 0..height {
        raw.push(0); // filter: none
        for x in 0..width {
            raw.extend([
                (x * 255 / width) as u8,
                (y * 255 / height) as u8,
                200 - (x * 100 / width) as u8,
            ]);
        }
    }
    let mut zlib = vec![0x78, 0x01];
    for (i, block) in raw.chunks(65_535).enumerate() {
        let last = (i + 1) * 65_535 >= raw.len();
        zlib.push(last as u8);
        let len = block.len() as u16;
        zlib.extend(len.to_le_bytes());
        zlib.extend((!len).to_le_bytes());
        zlib.extend(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + byte as u32) % 65_521;
        b = (b + a) % 65_521;
    }
    zlib.extend(((b << 16) | a).to_be_bytes());

    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8; 4], data: &[u8]| {
        out.extend((data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend(data);
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    };
    let mut header = Vec::new();
    header.extend(width.to_be_bytes());
    header.extend(height.to_be_bytes());
    header.extend([8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(b"IHDR", &header);
    chunk(b"IDAT", &zlib);
    chunk(b"IEND", &[]);
    out
}

fn write_png(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, png(160, 120)).expect("write the PNG");
    path
}

// ---------------------------------------------------------------------------------------

/// A new user's first session: a reply streams in; a long one is stopped and keeps its
/// text; a reply is regenerated; an image is attached from the file picker; Ctrl+K finds
/// an earlier message; after a restart every conversation and message is as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_streams_stops_regenerates_attaches_searches_and_survives_a_restart() {
    let sim = simulator().await;
    // A short name: it is part of the temp folder, and the keyring's socket path inside
    // it must stay under the 108-byte limit of a Unix socket address.
    let mut app = App::start("chat_session").await;
    connect(&app, &sim).await;
    app.wait_for("chat-start").await;

    // 1. A first message: the reply streams in, then completes.
    let first = "Tell me about lighthouses in Brittany";
    send(&app, first).await;
    let mut lengths = Vec::new();
    let deadline = Instant::now() + TIMEOUT;
    let done = loop {
        let shown = rendered(&app).await;
        if let Some(reply) = last_reply(&shown) {
            if reply.status == "streaming" && !reply.text.is_empty() {
                lengths.push(reply.text.chars().count());
            }
            if reply.status == "complete" {
                break reply.clone();
            }
        }
        assert!(
            Instant::now() < deadline,
            "the first reply never completed: {shown:#?}"
        );
        tokio::time::sleep(Duration::from_millis(60)).await;
    };
    lengths.dedup();
    assert!(
        lengths.len() >= 2,
        "the reply did not visibly stream in (partial lengths seen: {lengths:?})"
    );
    assert!(
        done.text.contains(&format!("You asked: “{first}”")),
        "reply: {:?}",
        done.text
    );
    assert!(
        lengths.iter().all(|n| *n <= done.text.chars().count()),
        "partial text longer than the final one: {lengths:?}"
    );
    let usage = app.text_of("usage").await;
    assert!(!usage.is_empty(), "no token usage under the reply");
    let model = app.text_of("message-model").await;
    let sent = sim.requests().iter().rev().find_map(|r| {
        r.path
            .starts_with("/v1/chat")
            .then(|| r.json())
            .flatten()
            .and_then(|b| b["model"].as_str().map(str::to_owned))
    });
    assert_eq!(
        Some(model),
        sent,
        "the reply names another model than was asked"
    );
    let title = wait_title(&app, "name the conversation", |t| {
        !t.is_empty() && t != "New chat"
    })
    .await;

    // 2. Regenerate: the reply is replaced in place, not added.
    sim.push_reply(
        "Another take: Brittany's lighthouses, such as **Phare d'Eckmühl** and Ar-Men, \
         guard one of Europe's most dangerous coasts. ⚓",
    );
    app.click("regenerate").await;
    let shown = wait_messages(&app, "the regenerated reply", |shown| {
        last_reply(shown).is_some_and(|r| r.status == "complete" && r.text.contains("Another take"))
    })
    .await;
    assert_eq!(
        shown.len(),
        2,
        "regenerate added a message instead of replacing: {shown:#?}"
    );
    assert!(
        !shown[1].text.contains("You asked"),
        "old reply still shows"
    );

    // 3. A long answer, stopped mid-stream: the partial text stays, marked as stopped.
    let paragraphs: Vec<String> = (1..=60)
        .map(|n| format!("Paragraph {n}: the keeper climbed the tower, trimmed the wick and watched the swell roll in."))
        .collect();
    sim.push_reply(format!("{}\n\nTHE END", paragraphs.join("\n\n")));
    let second = "Write me a long history of the Breton coast";
    send(&app, second).await;
    wait_messages(&app, "the long reply to start streaming", |shown| {
        last_reply(shown)
            .is_some_and(|r| r.status == "streaming" && r.text.contains("Paragraph 3:"))
    })
    .await;
    app.click("stop-button").await;
    let shown = wait_settled(&app, second, "interrupted").await;
    let stopped = shown.last().unwrap().clone();
    assert!(
        stopped.text.contains("Paragraph 1: the keeper"),
        "partial text lost: {:?}",
        stopped.text
    );
    assert!(
        !stopped.text.contains("THE END"),
        "the reply ran to its end despite Stop"
    );
    assert_eq!(stopped.badge.as_deref(), Some("Stopped"));
    app.wait_for("continue").await;
    app.wait_for("send-button").await;
    // The partial text stays as it was: nothing finishes in the background.
    let partial = stopped.text.clone();
    app.settle().await;
    let again = rendered(&app).await;
    assert_eq!(
        last_reply(&again).map(|r| &r.text),
        Some(&partial),
        "the stopped reply changed"
    );

    // 4. A second conversation with an image from the file picker.
    app.click("new-chat").await;
    app.wait_for("chat-start").await;
    let image = write_png(app.home(), "harbour.png");
    let picker = app.wait_present("file-input").await;
    picker
        .send_keys(&image.display().to_string())
        .await
        .expect("choose the image in the file picker");
    app.wait_for("attachment-thumb").await;
    let third = "What is in this picture?";
    send(&app, third).await;
    let shown = wait_settled(&app, third, "complete").await;
    assert_eq!(shown.len(), 2);
    assert_eq!(shown[0].attachments, 1, "no thumbnail on the message");
    assert!(
        shown[1].text.contains("I see 1 image"),
        "the image did not reach the model: {:?}",
        shown[1].text
    );
    wait_thumbnails(&app).await;
    let asked = sim.requests();
    let with_image = asked.iter().rev().find(|r| r.path.starts_with("/v1/chat"));
    let body = with_image
        .and_then(|r| r.json())
        .expect("a chat request with a body");
    assert!(
        body.to_string().contains("data:image/png;base64,"),
        "the image was not sent inline"
    );

    let listed = conversations(&app).await;
    assert_eq!(listed.len(), 2, "conversations: {listed:?}");

    // 5. Ctrl+K finds the first conversation's message; picking the hit opens it.
    let input = app.wait_for("composer-input").await;
    input
        .send_keys(&format!("{CONTROL}k{CONTROL}"))
        .await
        .expect("press Ctrl+K");
    app.wait_for("search-palette").await;
    app.type_into("search-input", "Brittany").await;
    app.wait_for("search-result").await;
    let hit = inner_text(&app, "[data-testid=\"search-result\"]").await;
    assert!(
        hit.contains(&title) && hit.contains("Brittany"),
        "the first hit does not show its conversation and the word: {hit:?}"
    );
    let hit_id = app
        .attr_of("search-result", "data-id")
        .await
        .expect("hit id");
    app.click("search-result").await;
    app.wait_gone("search-palette").await;
    wait_title(&app, "be the first conversation", |t| t == title).await;
    wait_messages(&app, "the hit in view", |shown| {
        shown.iter().any(|m| m.id.to_string() == hit_id)
    })
    .await;

    // 6. Everything as it was after a restart.
    let mut before = BTreeMap::new();
    for (id, name) in &listed {
        open_conversation(&app, *id, name).await;
        before.insert(*id, (name.clone(), all_messages(&app).await));
    }
    assert_eq!(before.values().map(|(_, m)| m.len()).sum::<usize>(), 6);

    app.restart().await;
    app.wait_for("view-chat").await;
    let deadline = Instant::now() + TIMEOUT;
    let mut relisted = conversations(&app).await;
    while relisted.len() < listed.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        relisted = conversations(&app).await;
    }
    assert_eq!(relisted, listed, "the sidebar changed across a restart");
    for (id, (name, messages)) in &before {
        open_conversation(&app, *id, name).await;
        let after = all_messages(&app).await;
        assert_eq!(
            &after, messages,
            "conversation {name:?} changed across a restart"
        );
        if messages.iter().any(|m| m.attachments > 0) {
            wait_thumbnails(&app).await;
        }
    }
    assert!(
        before
            .values()
            .flat_map(|(_, m)| m)
            .any(|m| m.status == "interrupted" && m.text == partial),
        "the stopped reply is not kept as it was"
    );
    drop(app);
    sim.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Hostile markup

/// Every payload tries to leave a trace: `window.__xss`, the document title, or a marker
/// element. Raw HTML, markdown link tricks, SVG, KaTeX commands and code-fence info
/// strings are all in one reply.
fn xss_corpus(beacon: &str) -> String {
    let set = "window.__xss=1;document.title='XSS';document.body.insertAdjacentHTML('beforeend','<i id=xss-marker></i>')";
    [
        "Corpus reply: plainword xsscorpus begins.".to_owned(),
        format!("<script>{set}</script>"),
        format!("<img src=x onerror=\"{set}\">"),
        format!("<img src=\"{beacon}\">"),
        format!("<body onload=\"{set}\"><div onclick=\"{set}\" onmouseover=\"{set}\">hover</div>"),
        format!("<details open ontoggle=\"{set}\"><summary>s</summary></details>"),
        format!("<svg onload=\"{set}\"><circle r=\"9\"/></svg>"),
        format!("<svg><script>{set}</script></svg>"),
        format!("<svg><a xlink:href=\"javascript:{set}\"><text y=\"20\">svg link</text></a></svg>"),
        format!("<math><mtext><table><mglyph><style><img src=x onerror=\"{set}\">"),
        format!("<iframe src=\"javascript:{set}\"></iframe>"),
        format!("<iframe srcdoc=\"<script>parent.{set}</script>\"></iframe>"),
        format!("<object data=\"javascript:{set}\"></object><embed src=\"javascript:{set}\">"),
        format!("<a href=\"javascript:{set}\">raw js link</a>"),
        format!("<a href=\"jav&#x61;script:{set}\">entity link</a>"),
        format!("<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:{set}\">decimal entity link</a>"),
        "<style>body { display: none !important }</style><link rel=stylesheet href=\"http://127.0.0.1:9/x.css\">".to_owned(),
        format!("<form action=\"javascript:{set}\"><button>go</button></form><input autofocus onfocus=\"{set}\">"),
        format!("<meta http-equiv=\"refresh\" content=\"0;url=javascript:{set}\">"),
        "[md js link](javascript:window.__xss=1)".to_owned(),
        "[md mixed case](JaVaScRiPt:window.__xss=1)".to_owned(),
        "[md entity](jav&#x61;script:window.__xss=1)".to_owned(),
        "[md spaced](  javascript:window.__xss=1 )".to_owned(),
        "[md tab](java\tscript:window.__xss=1)".to_owned(),
        "[md vbscript](vbscript:msgbox(1))".to_owned(),
        "[md data html](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9MTwvc2NyaXB0Pg==)".to_owned(),
        "[md data svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9ImFsZXJ0KDEpIi8+)".to_owned(),
        "![md image js](javascript:window.__xss=1)".to_owned(),
        "<javascript:window.__xss=1>".to_owned(),
        "Bare javascript:window.__xss=1 and data:text/html,<script>window.__xss=1</script> text.".to_owned(),
        "[ref link][r]\n\n[r]: javascript:window.__xss=1".to_owned(),
        format!("![remote tracker]({beacon})"),
        "Inline math $\\href{javascript:window.__xss=1}{click}$ and $\\url{javascript:window.__xss=1}$.".to_owned(),
        "$$\\htmlClass{x}{\\htmlStyle{background:url(javascript:window.__xss=1)}{y}}$$".to_owned(),
        "```\"><img src=x onerror=\"window.__xss=1\">\nfenced </code><script>window.__xss=1</script>\n```".to_owned(),
        "`</code><img src=x onerror=window.__xss=1>`".to_owned(),
        "Corpus ends: xsscorpus done.".to_owned(),
    ]
    .join("\n\n")
}

/// What the payloads could have left behind, anywhere in the page, and what is unsafe
/// inside `root` (a CSS selector): elements that run or load things, `on*` attributes,
/// script-capable URLs.
const XSS_AUDIT: &str = "const roots = Array.from(document.querySelectorAll(arguments[0]));\
    const bad = [];\
    const scriptUrl = (v) => /^(javascript|vbscript|data):/i.test(String(v).replace(/[\\u0000-\\u0020]/g, ''));\
    for (const root of roots) {\
      for (const el of root.querySelectorAll('*')) {\
        const tag = el.tagName.toLowerCase();\
        if (['script','iframe','frame','object','embed','img','image','style','link','meta','form','input','base','foreignobject','video','audio'].includes(tag)) bad.push('element ' + tag);\
        for (const attr of el.attributes) {\
          const name = attr.name.toLowerCase();\
          if (name.startsWith('on')) bad.push(tag + ' has ' + name);\
          if (['href','xlink:href','src','action','formaction','data','srcdoc'].includes(name) && scriptUrl(attr.value)) bad.push(tag + ' ' + name + '=' + attr.value);\
          if (name === 'style' && /url\\(|expression/i.test(attr.value)) bad.push(tag + ' style ' + attr.value);\
        }\
      }\
    }\
    return { roots: roots.length, bad,\
      flag: typeof window.__xss === 'undefined' ? null : String(window.__xss),\
      title: document.title,\
      marker: document.getElementById('xss-marker') !== null,\
      bodyShown: getComputedStyle(document.body).display !== 'none',\
      remote: document.querySelectorAll(arguments[0] + ' [data-testid=\"remote-image\"]').length };";

async fn audit(app: &App, selector: &str) -> Value {
    app.execute(XSS_AUDIT, vec![json!(selector)]).await
}

fn assert_clean(report: &Value, title: &Value, place: &str) {
    assert!(
        report["roots"].as_u64().unwrap_or(0) > 0,
        "{place}: nothing to audit: {report}"
    );
    assert_eq!(report["bad"], json!([]), "{place}: unsafe DOM: {report}");
    assert_eq!(
        report["flag"],
        Value::Null,
        "{place}: a payload ran: {report}"
    );
    assert_eq!(
        &report["title"], title,
        "{place}: the title changed: {report}"
    );
    assert_eq!(
        report["marker"],
        json!(false),
        "{place}: a payload ran: {report}"
    );
    assert_eq!(report["bodyShown"], json!(true), "{place}: a style got in");
}

/// A reply full of XSS payloads renders as inert text and safe links in the real
/// webview; nothing runs, the remote image is not fetched, and the search palette's
/// snippets are just as inert.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_markup_in_a_reply_renders_inert() {
    let sim = simulator().await;
    let app = App::start("chat_xss").await;
    connect(&app, &sim).await;
    let title = app.execute("return document.title;", vec![]).await;

    let beacon = format!("{}/files/xss-beacon.png", sim.base_url());
    sim.push_reply(xss_corpus(&beacon));
    // The user's own text is shown as typed, never as markup.
    let asked = "<img src=x onerror=\"window.__xss=1\"> show me the xsscorpus";
    send(&app, asked).await;
    wait_messages(&app, "the corpus reply to complete", |shown| {
        last_reply(shown).is_some_and(|r| r.status == "complete")
    })
    .await;
    // The reply is taller than the view: read the whole conversation.
    let shown = all_messages(&app).await;
    assert_eq!(shown.len(), 2, "{shown:#?}");
    assert_eq!(
        shown[0].text, asked,
        "the user's text was not shown verbatim"
    );
    let reply = &shown[1].text;
    assert!(
        reply.starts_with("Corpus reply") && reply.ends_with("xsscorpus done."),
        "the whole corpus did not render: {reply:?}"
    );
    // Raw HTML is shown as text, so the reader sees what the model wrote.
    for visible in ["<script>", "<svg onload=", "<iframe srcdoc=", "md js link"] {
        assert!(reply.contains(visible), "{visible:?} is not shown as text");
    }
    // Handlers fire asynchronously (load, error, toggle, focus): give them a moment.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    app.settle().await;

    let report = audit(&app, "[data-testid=\"message\"]").await;
    assert_clean(&report, &title, "the conversation");
    assert_eq!(
        report["remote"],
        json!(1),
        "the remote image is not a placeholder link: {report}"
    );
    let placeholder = app.text_of("remote-image").await;
    assert!(
        placeholder.contains("127.0.0.1"),
        "placeholder: {placeholder:?}"
    );
    assert_eq!(
        app.attr_of("remote-image", "href").await.as_deref(),
        Some(beacon.as_str())
    );
    // Links that survive point at http(s) only.
    let hrefs = app
        .execute(
            "return Array.from(document.querySelectorAll('[data-testid=\"message\"] a[href]'), (a) => a.getAttribute('href'));",
            vec![],
        )
        .await;
    for href in hrefs.as_array().expect("hrefs") {
        let href = href.as_str().unwrap_or("");
        assert!(
            href.starts_with("http://") || href.starts_with("https://"),
            "unsafe link in a reply: {href:?}"
        );
    }
    // Clicking every link that is not a web address does nothing either.
    app.execute(
        "document.querySelectorAll('[data-testid=\"message\"] a:not([href^=\"http\"])').forEach((a) => a.click());",
        vec![],
    )
    .await;
    app.settle().await;
    assert_clean(
        &audit(&app, "[data-testid=\"message\"]").await,
        &title,
        "after clicking the links",
    );
    let fetched: Vec<String> = sim
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/files/"))
        .map(|r| r.path.clone())
        .collect();
    assert!(fetched.is_empty(), "model output fetched {fetched:?}");

    // Search snippets come from the same text.
    let input = app.wait_for("composer-input").await;
    input
        .send_keys(&format!("{CONTROL}k{CONTROL}"))
        .await
        .expect("press Ctrl+K");
    app.wait_for("search-palette").await;
    app.type_into("search-input", "xsscorpus").await;
    app.wait_for("search-result").await;
    app.settle().await;
    assert_clean(
        &audit(&app, "[data-testid=\"search-result\"]").await,
        &title,
        "the search palette",
    );
    drop(app);
    sim.shutdown().await;
}

// ---------------------------------------------------------------------------------------
// Screenshots

const OVERVIEW_REPLY: &str = "Breton lighthouses stand on some of the most exposed rock in Europe.\n\n\
1. **Ar-Men** took fourteen years to build (1867–1881): workers could land only a few days a year.\n\
2. **Phare d'Eckmühl** was paid for by a bequest and is clad in granite inside and out.\n\
3. **Créac'h** on Ouessant has one of the most powerful lights in the world.\n\n\
Keepers called the offshore towers *l'enfer* — hell — and the ones on islands *le paradis*.";

const RICH_REPLY: &str = r#"## How far a light can be seen

The **geographic range** is how far the light shows before the curve of the Earth hides it. For a lamp at height $h_l$ and an eye at height $h_o$ (metres), in nautical miles:

$$
d \approx 2.08\left(\sqrt{h_l} + \sqrt{h_o}\right)
$$

| Lighthouse | Height (m) | Range (nmi) | First lit |
|---|---:|---:|---|
| Phare d'Eckmühl | 60 | 23 | 1897 |
| Ar-Men | 37 | 18.5 | 1881 |
| Créac'h | 55 | 32 | 1863 |

The same in Rust:

```rust
/// Geographic range in nautical miles.
fn range_nmi(lamp_m: f64, eye_m: f64) -> f64 {
    2.08 * (lamp_m.sqrt() + eye_m.sqrt())
}

fn main() {
    for (name, height) in [("Eckmühl", 60.0), ("Ar-Men", 37.0)] {
        println!("{name}: {:.1} nmi", range_nmi(height, 2.0));
    }
}
```

And in Python, with a comment long enough to scroll sideways:

```python
def range_nmi(lamp_m: float, eye_m: float = 2.0) -> float:
    return 2.08 * (lamp_m ** 0.5 + eye_m ** 0.5)  # the factor 2.08 folds in standard atmospheric refraction over the sea
```

> Inline math works in a sentence too: $E = mc^2$, and `inline code` stays code."#;

async fn apply_theme(app: &App, theme: &str) {
    open_settings(app).await;
    app.click(&format!("theme-{theme}")).await;
    let script = "return document.documentElement.dataset.theme || '';";
    let deadline = Instant::now() + TIMEOUT;
    while app.execute(script, vec![]).await != Value::String(theme.to_owned()) {
        assert!(
            Instant::now() < deadline,
            "the {theme} theme was not applied"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.click("nav-chat").await;
    app.wait_for("message-list").await;
}

/// Brings the top of the newest reply to the top of the message list.
async fn show_last_reply(app: &App) {
    let script = "const done = arguments[arguments.length - 1];\
        const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));\
        (async () => {\
          const list = document.querySelector('[data-testid=\"message-list\"]');\
          list.scrollTop = list.scrollHeight; await frames();\
          const replies = document.querySelectorAll('[data-testid=\"message\"][data-role=\"assistant\"]');\
          const last = replies[replies.length - 1];\
          list.scrollTop += last.getBoundingClientRect().top - list.getBoundingClientRect().top - 8;\
          await frames(); done(null);\
        })().catch((e) => done(String(e)));";
    let answer = app
        .client()
        .execute_async(script, vec![])
        .await
        .expect("scroll");
    assert_eq!(answer, Value::Null, "scrolling failed: {answer}");
}

/// A long conversation with a list, math, a table and highlighted code, captured in the
/// light and the dark theme.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rich_replies_look_right_in_both_themes() {
    let sim = simulator().await;
    let app = App::start("chat_shots").await;
    connect(&app, &sim).await;

    sim.push_reply(OVERVIEW_REPLY);
    send(&app, "What makes Breton lighthouses special?").await;
    wait_settled(&app, "Breton lighthouses special", "complete").await;
    sim.push_reply(RICH_REPLY);
    let asked = "How far can their lights be seen? Show the maths, a table and some code.";
    send(&app, asked).await;
    wait_messages(&app, "the rich reply", |shown| {
        last_reply(shown).is_some_and(|r| r.status == "complete" && r.text.contains("stays code"))
    })
    .await;

    // What the renderer must have produced, checked in the real page.
    let report = app
        .execute(
            "const replies = document.querySelectorAll('[data-testid=\"message\"][data-role=\"assistant\"]');\
             const m = replies[replies.length - 1];\
             return { keywords: m.querySelectorAll('code.hljs .hljs-keyword').length,\
                      copy: m.querySelectorAll('[data-testid=\"copy-code\"]').length,\
                      katex: m.querySelectorAll('.katex').length,\
                      display: m.querySelectorAll('.katex-display').length,\
                      errors: m.querySelectorAll('.katex-error').length,\
                      rows: m.querySelectorAll('table tbody tr').length,\
                      wide: Array.from(m.querySelectorAll('pre')).some((p) => p.scrollWidth > p.clientWidth),\
                      overflow: m.scrollWidth > m.clientWidth + 1 };",
            vec![],
        )
        .await;
    assert!(
        report["keywords"].as_u64().unwrap_or(0) >= 4,
        "no highlighting: {report}"
    );
    assert_eq!(report["copy"], json!(2), "copy buttons: {report}");
    assert!(report["katex"].as_u64().unwrap_or(0) >= 4, "math: {report}");
    assert_eq!(report["display"], json!(1), "display math: {report}");
    assert_eq!(report["errors"], json!(0), "KaTeX errors: {report}");
    assert_eq!(report["rows"], json!(3), "table: {report}");
    assert_eq!(
        report["wide"],
        json!(true),
        "the long code line should scroll in its box: {report}"
    );
    assert_eq!(
        report["overflow"],
        json!(false),
        "the message overflows sideways: {report}"
    );

    let dir = screenshot_dir();
    for theme in ["light", "dark"] {
        apply_theme(&app, theme).await;
        show_last_reply(&app).await;
        let path = dir.join(format!("chat-{theme}.png"));
        app.screenshot(&path).await;
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        assert!(size > 20_000, "{} is only {size} bytes", path.display());
        eprintln!("screenshot: {} ({size} bytes)", path.display());
    }
    drop(app);
    sim.shutdown().await;
}
