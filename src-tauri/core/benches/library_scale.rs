//! The library at scale: 1,000,000 messages over 10,000 conversations (one of them 5,000
//! messages long), one usage row per reply as the app writes them. Measures full-text
//! search, the conversation list by cursor, and opening a long conversation, through the
//! `Library` API the app calls.
//!
//! The database is generated once (bulk inserts through rusqlite on the file
//! `Library::open` created, fixed seed) and cached under `target/bench-data/`, keyed by
//! `DATA_VERSION` and a hash of the migration files; later runs reuse it.
//!
//! Prints figures only; nothing here asserts on time.
//!
//!     cargo bench -p nexhina-core --bench library_scale

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{machine, median_ms, ms, pct_ms, pct_sorted, Rng};
use nexhina_core::library::messages::fts_query;
use nexhina_core::library::{Library, DATABASE_FILE};
use nexhina_core::studio::title_from;
use rusqlite::{Connection, OpenFlags};

/// Bump when the generator changes; the migration files' hash is added to the key as well.
const DATA_VERSION: &str = "v1";
const SEED: u64 = 0x4e45_5848_494e_4121;
const CONVERSATIONS: usize = 10_000;
const MESSAGES: usize = 1_000_000;
const BIG_CONVERSATION: usize = 5_000;
const PINNED: usize = 12;
/// 2023-01-01T00:00:00Z, where the synthetic history starts.
const EPOCH_MS: i64 = 1_672_531_200_000;

/// What the UI asks for: the search palette's limit, the sidebar's page.
const SEARCH_LIMIT: u32 = 30;
const SIDEBAR_PAGE: u32 = 50;
const MESSAGE_PAGE: u32 = 100;

fn main() {
    println!("library_scale bench — {}", machine());
    let (dir, generated) = library_dir();
    let db = dir.join(DATABASE_FILE);
    let size_mb = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0) as f64 / 1_048_576.0;
    let raw = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let count = |sql: &str| -> i64 { raw.query_row(sql, [], |r| r.get(0)).unwrap() };
    let (messages, conversations, usage) = (
        count("SELECT count(*) FROM messages"),
        count("SELECT count(*) FROM conversations"),
        count("SELECT count(*) FROM usage_records"),
    );
    println!(
        "3. library at scale — {messages} messages, {conversations} conversations, {usage} usage rows; {size_mb:.0} MB file"
    );
    match generated {
        Some(took) => println!("   generated now in {:.1} s → {}", took.as_secs_f64(), dir.display()),
        None => println!("   reused the cached file {} (delete it to regenerate)", dir.display()),
    }

    let t = Instant::now();
    let lib = Library::open(&dir).unwrap();
    println!("   Library::open on the existing file: {:.1} ms; figures below are warm (OS page cache), median of repeats", ms(t.elapsed()));

    let big: i64 = raw
        .query_row(
            "SELECT conversation_id FROM messages GROUP BY conversation_id HAVING count(*) = ?1 LIMIT 1",
            [BIG_CONVERSATION as i64],
            |r| r.get(0),
        )
        .unwrap();

    println!("   {:<58} {:>6} {:>8} {:>8} {:>8}  target", "query", "runs", "p50 ms", "p95 ms", "max ms");
    let searches = search_bench(&lib, &raw);
    sidebar_bench(&lib);
    messages_bench(&lib, &raw, big);
    searches.print_details();
    diagnostics(&raw, big);
}

fn row(name: &str, runs: usize, samples: &[Duration], target: &str) {
    let max = samples.iter().max().copied().unwrap_or_default();
    println!(
        "   {:<58} {:>6} {:>8.2} {:>8.2} {:>8.2}  {}",
        name,
        runs,
        median_ms(samples),
        pct_ms(samples, 95.0),
        ms(max),
        target
    );
}

// ---------------------------------------------------------------------------------------
// Measurements

struct SearchResult {
    kind: &'static str,
    query: String,
    median: Duration,
    hits: usize,
    matches: i64,
}

struct Searches(Vec<SearchResult>);

impl Searches {
    fn print_details(&self) {
        println!("   search by kind (per-query medians):");
        let kinds = ["word", "two words", "three words", "prefix 3-5 chars", "prefix 1-2 chars", "no match"];
        for kind in kinds {
            let mut v: Vec<f64> = self.0.iter().filter(|r| r.kind == kind).map(|r| ms(r.median)).collect();
            if v.is_empty() {
                continue;
            }
            v.sort_by(|a, b| a.partial_cmp(b).unwrap());
            println!(
                "     {:<18} n={:<3} p50 {:>7.2} ms   max {:>7.2} ms",
                kind,
                v.len(),
                pct_sorted(&v, 50.0),
                v[v.len() - 1]
            );
        }
        let mut slowest: Vec<&SearchResult> = self.0.iter().collect();
        slowest.sort_by_key(|r| std::cmp::Reverse(r.median));
        println!("   slowest searches (median ms, rows matching the FTS query):");
        for r in slowest.iter().take(5) {
            println!("     {:>7.2} ms  {:<28} {:>9} matches, {} hits", ms(r.median), format!("{:?}", r.query), r.matches, r.hits);
        }
    }
}

fn search_bench(lib: &Library, raw: &Connection) -> Searches {
    let vocab = Vocabulary::new();
    let queries = search_queries(&vocab);
    let mut results = Vec::new();
    for (kind, query) in queries {
        lib.search_messages(&query, SEARCH_LIMIT).unwrap(); // warm-up
        let mut samples = Vec::new();
        let mut hits = 0;
        for _ in 0..5 {
            let t = Instant::now();
            hits = lib.search_messages(&query, SEARCH_LIMIT).unwrap().len();
            samples.push(t.elapsed());
        }
        let matches: i64 = raw
            .query_row("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?1", [fts_query(&query).unwrap_or_default()], |r| r.get(0))
            .unwrap();
        samples.sort();
        results.push(SearchResult { kind, query, median: samples[2], hits, matches });
    }
    let medians: Vec<Duration> = results.iter().map(|r| r.median).collect();
    row(&format!("search_messages(q, {SEARCH_LIMIT}): {} queries, median of 5 each", medians.len()), medians.len(), &medians, "p95 < 30 ms");
    Searches(results)
}

fn sidebar_bench(lib: &Library) {
    let runs = 200;
    let first: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let page = lib.conversations(None, SIDEBAR_PAGE).unwrap();
            let took = t.elapsed();
            assert_eq!(page.items.len(), SIDEBAR_PAGE as usize);
            took
        })
        .collect();
    row(&format!("conversations(None, {SIDEBAR_PAGE}): first page"), runs, &first, "< 50 ms");

    // Walk to the middle (row 5,000) to get a real cursor; time the whole walk once.
    let mut cursor: Option<String> = None;
    let mut middle = None;
    let mut pages = Vec::new();
    let mut seen = 0;
    loop {
        let t = Instant::now();
        let page = lib.conversations(cursor.as_deref(), SIDEBAR_PAGE).unwrap();
        pages.push(t.elapsed());
        seen += page.items.len();
        if seen == CONVERSATIONS / 2 {
            middle = page.next_cursor.clone();
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, CONVERSATIONS, "the cursor walk sees every conversation once");
    let middle = middle.expect("a cursor at row 5000");
    let mid: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let page = lib.conversations(Some(&middle), SIDEBAR_PAGE).unwrap();
            let took = t.elapsed();
            assert_eq!(page.items.len(), SIDEBAR_PAGE as usize);
            took
        })
        .collect();
    row(&format!("conversations(cursor @ row 5000, {SIDEBAR_PAGE}): middle page"), runs, &mid, "< 50 ms");
    row(&format!("  every page, cursor walk of all {} (total {:.0} ms)", pages.len(), ms(pages.iter().sum())), pages.len(), &pages, "");
}

fn messages_bench(lib: &Library, raw: &Connection, big: i64) {
    let t = Instant::now();
    lib.messages(big, None, None, MESSAGE_PAGE).unwrap();
    let first_call = t.elapsed();
    // A slow page must not turn the run into a quarter of an hour: fewer repeats then.
    let slow = first_call > Duration::from_millis(500);
    let runs = if slow { 5 } else { 50 };
    let newest: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let page = lib.messages(big, None, None, MESSAGE_PAGE).unwrap();
            let took = t.elapsed();
            assert_eq!(page.items.len(), MESSAGE_PAGE as usize);
            took
        })
        .collect();
    row(
        &format!("messages(conv of {BIG_CONVERSATION}, newest {MESSAGE_PAGE}) (first call {:.1} ms)", ms(first_call)),
        runs,
        &newest,
        "< 100 ms",
    );

    // Each page's `before` cursor is the oldest id of the page after it (newest first).
    let ids_desc: Vec<i64> = raw
        .prepare("SELECT id FROM messages WHERE conversation_id = ?1 ORDER BY id DESC")
        .unwrap()
        .query_map([big], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let page = MESSAGE_PAGE as usize;
    let cursors: Vec<Option<i64>> = (0..ids_desc.len().div_ceil(page)).map(|k| (k > 0).then(|| ids_desc[k * page - 1])).collect();
    let estimate = first_call * cursors.len() as u32;
    if estimate <= Duration::from_secs(60) {
        let walks_wanted = if estimate < Duration::from_secs(10) { 3 } else { 1 };
        let mut pages = Vec::new();
        let mut walks = Vec::new();
        for _ in 0..walks_wanted {
            let start = Instant::now();
            let mut before = None;
            let mut seen = 0;
            for (k, expected) in cursors.iter().enumerate() {
                assert_eq!(&before, expected, "page {k}'s cursor");
                let t = Instant::now();
                let p = lib.messages(big, before, None, MESSAGE_PAGE).unwrap();
                pages.push(t.elapsed());
                seen += p.items.len();
                before = p.before_cursor;
            }
            assert_eq!(before, None, "the last page says there is nothing older");
            assert_eq!(seen, BIG_CONVERSATION, "walking back sees every message once");
            walks.push(start.elapsed());
        }
        row(
            &format!("  walking all {} pages back, {walks_wanted} walk(s) (walk total p50 {:.0} ms)", cursors.len(), median_ms(&walks)),
            pages.len(),
            &pages,
            "< 100 ms",
        );
    } else {
        // Too slow to walk all of it within the bench's time: time 10 pages spread over it.
        let n = cursors.len();
        let sample: Vec<usize> = (0..10).map(|i| i * (n - 1) / 9).collect();
        let pages: Vec<Duration> = sample
            .iter()
            .map(|&k| {
                let t = Instant::now();
                let p = lib.messages(big, cursors[k], None, MESSAGE_PAGE).unwrap();
                let took = t.elapsed();
                assert_eq!(p.items.len(), page.min(ids_desc.len() - k * page));
                took
            })
            .collect();
        let est_total = median_ms(&pages) * n as f64 / 1e3;
        row(
            &format!("  walking back: 10 of {n} pages sampled (whole walk ≈ {est_total:.0} s)"),
            pages.len(),
            &pages,
            "< 100 ms",
        );
    }
}

/// Plans of the app's queries on this file, and one write-path lookup that scans.
fn diagnostics(raw: &Connection, big: i64) {
    let plan = |label: &str, sql: &str| {
        let mut stmt = raw.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let lines: Vec<String> = stmt.query_map([], |r| r.get::<_, String>(3)).unwrap().map(Result::unwrap).collect();
        println!("   plan {label}: {}", lines.join(" | "));
    };
    // Copies of the statements in library/{messages,conversations}.rs.
    plan(
        "search",
        "SELECT m.id, m.conversation_id, c.title, m.role, snippet(messages_fts, 0, char(2), char(3), '…', 16), m.created_at
         FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid JOIN conversations c ON c.id = m.conversation_id
         WHERE messages_fts MATCH '\"harbour\"*' ORDER BY messages_fts.rowid DESC LIMIT 30",
    );
    plan(
        "sidebar cursor",
        "SELECT id, title, model, pinned, updated_at FROM conversations WHERE (pinned, updated_at, id) < (0, 1700000000000, 5000)
         ORDER BY pinned DESC, updated_at DESC, id DESC LIMIT 51",
    );
    plan(
        "messages page",
        &format!(
            "SELECT m.id, m.conversation_id, m.role, m.content, m.reasoning, m.status, m.error, m.model, m.created_at,
             u.input_tokens, u.output_tokens, u.total_tokens
             FROM messages m LEFT JOIN usage_records u ON u.message_id = m.id
             WHERE m.conversation_id = {big} AND m.id < 9223372036854775807 ORDER BY m.id DESC LIMIT 101"
        ),
    );
    // Library::record_usage looks a reply's usage row up by message_id at the end of every turn.
    let last: i64 = raw.query_row("SELECT max(id) FROM messages", [], |r| r.get(0)).unwrap();
    let mut samples = Vec::new();
    for _ in 0..10 {
        let t = Instant::now();
        let _: Option<i64> =
            raw.query_row("SELECT id FROM usage_records WHERE message_id = ?1", [last], |r| r.get(0)).ok();
        samples.push(t.elapsed());
    }
    plan("record_usage lookup", "SELECT id FROM usage_records WHERE message_id = 1");
    println!("   record_usage's lookup by message_id: p50 {:.2} ms per chat turn", median_ms(&samples));
}

// ---------------------------------------------------------------------------------------
// Queries

fn search_queries(v: &Vocabulary) -> Vec<(&'static str, String)> {
    let w = |rank: usize| v.words[rank].clone();
    let mut q = Vec::new();
    for rank in [3, 8, 15, 30, 50, 80, 120, 180, 250, 400, 600, 900, 1400, 2000, 3000] {
        q.push(("word", w(rank)));
    }
    for (a, b) in [(10, 200), (30, 500), (60, 90), (100, 1000), (150, 160), (5, 2500), (220, 700), (40, 45), (300, 1800), (70, 3200), (1, 2), (500, 520)] {
        q.push(("two words", format!("{} {}", w(a), w(b))));
    }
    for (a, b, c) in [(20, 200, 2000), (4, 40, 400), (100, 300, 900), (12, 130, 1300), (250, 260, 270)] {
        q.push(("three words", format!("{} {} {}", w(a), w(b), w(c))));
    }
    // Search-as-you-type: the palette searches 150 ms after each keystroke, last word a prefix.
    for rank in [20, 60, 150, 300, 700, 1500, 2500, 90, 1000, 3300] {
        let word: Vec<char> = w(rank).chars().collect();
        let keep = (word.len() - 1).clamp(3, 5).min(word.len());
        q.push(("prefix 3-5 chars", word[..keep].iter().collect()));
    }
    for prefix in ["c", "th", "ha"] {
        q.push(("prefix 1-2 chars", prefix.to_string()));
    }
    for miss in ["zyzzogeton", "qwxv", "harbourmasterz", "nonexistentword", "xylophonic"] {
        q.push(("no match", miss.to_string()));
    }
    assert_eq!(q.len(), 50);
    q
}

// ---------------------------------------------------------------------------------------
// The cached database

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .canonicalize()
        .expect("the target folder exists while cargo runs a bench")
}

/// FNV-1a over the migration files, so a schema change makes a new cache entry.
fn schema_hash() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/library/migrations");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for f in files {
        for b in std::fs::read(&f).unwrap() {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{:08x}", h as u32)
}

/// The cached library's folder, generated first if missing; `Some(time)` when generated now.
fn library_dir() -> (PathBuf, Option<Duration>) {
    let root = target_dir().join("bench-data");
    let name = format!("library-{DATA_VERSION}-{}k-{}", MESSAGES / 1000, schema_hash());
    let dir = root.join(&name);
    if dir.join(DATABASE_FILE).exists() {
        return (dir, None);
    }
    let partial = root.join(format!("{name}.partial"));
    let _ = std::fs::remove_dir_all(&partial);
    eprintln!("generating {} messages into {} (once; cached afterwards)…", MESSAGES, partial.display());
    let t = Instant::now();
    generate(&partial);
    let took = t.elapsed();
    std::fs::rename(&partial, &dir).unwrap();
    (dir, Some(took))
}

struct Burst {
    slot: usize,
    pairs: u32,
}

fn generate(dir: &Path) {
    // The schema, exactly as the app creates it.
    drop(Library::open(dir).unwrap());
    let mut conn = Connection::open(dir.join(DATABASE_FILE)).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF;
         PRAGMA cache_size = -262144; PRAGMA temp_store = MEMORY;",
    )
    .unwrap();

    let mut rng = Rng::new(SEED);
    let vocab = Vocabulary::new();

    // Messages per conversation slot, in pairs (question + reply). Slot 0 is the long one.
    let target_pairs = (MESSAGES / 2) as u32;
    let big_pairs = (BIG_CONVERSATION / 2) as u32;
    let weights: Vec<f64> = (1..CONVERSATIONS).map(|_| 0.01 + rng.unit().powi(4)).collect();
    let sum: f64 = weights.iter().sum();
    let rest = (target_pairs - big_pairs) as f64;
    let mut pairs: Vec<u32> = std::iter::once(big_pairs)
        .chain(weights.iter().map(|w| ((w / sum * rest).round() as u32).max(1)))
        .collect();
    let mut total: u32 = pairs.iter().sum();
    while total != target_pairs {
        let slot = 1 + (rng.next_u64() % (CONVERSATIONS as u64 - 1)) as usize;
        if total < target_pairs {
            pairs[slot] += 1;
            total += 1;
        } else if pairs[slot] > 1 {
            pairs[slot] -= 1;
            total -= 1;
        }
    }

    // Sessions: a few exchanges in one conversation, then another; shuffled into one timeline.
    let mut bursts = Vec::new();
    for (slot, &n) in pairs.iter().enumerate() {
        let mut left = n;
        while left > 0 {
            let take = (rng.range(1, 12) as u32).min(left);
            bursts.push(Burst { slot, pairs: take });
            left -= take;
        }
    }
    rng.shuffle(&mut bursts);

    // Conversation ids in order of first use, as the app would have created them.
    let mut id_of = vec![0i64; CONVERSATIONS];
    let mut next_id = 1;
    let models = ["gpt-4o-mini", "gpt-4o", "o4-mini", "claude-sonnet-4", "deepseek-chat"];
    struct Conv {
        title: String,
        model: &'static str,
        created: i64,
        updated: i64,
    }
    let mut convs: Vec<Option<Conv>> = (0..CONVERSATIONS).map(|_| None).collect();

    conn.execute(
        "INSERT INTO profiles (id, kind, name, base_url, created_at, updated_at) VALUES (1, 'remote', 'Nexhina', 'https://api.nexhina.example', ?1, ?1)",
        [EPOCH_MS],
    )
    .unwrap();

    let mut now = EPOCH_MS;
    let mut written = 0usize;
    let mut tx = conn.transaction().unwrap();
    for burst in &bursts {
        if id_of[burst.slot] == 0 {
            id_of[burst.slot] = next_id;
            next_id += 1;
        }
        let conversation_id = id_of[burst.slot];
        now += rng.range(60_000, 30 * 60_000) as i64;
        {
            let mut insert_message = tx
                .prepare_cached(
                    "INSERT INTO messages (conversation_id, role, content, status, model, finish_reason, request_id, created_at, updated_at)
                     VALUES (?1, ?2, ?3, 'complete', ?4, ?5, ?6, ?7, ?7)",
                )
                .unwrap();
            let mut insert_usage = tx
                .prepare_cached(
                    "INSERT INTO usage_records (profile_id, endpoint, model, message_id, input_tokens, output_tokens, total_tokens, request_id, created_at)
                     VALUES (1, 'chat/completions', ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .unwrap();
            for _ in 0..burst.pairs {
                let question = vocab.user_text(&mut rng);
                let conv = convs[burst.slot].get_or_insert_with(|| Conv {
                    title: title_from(&question),
                    model: models[(rng.next_u64() % models.len() as u64) as usize],
                    created: now,
                    updated: now,
                });
                let model = conv.model;
                insert_message
                    .execute(rusqlite::params![conversation_id, "user", question, None::<&str>, None::<&str>, None::<&str>, now])
                    .unwrap();
                now += rng.range(2_000, 40_000) as i64;
                let answer = vocab.assistant_text(&mut rng);
                let request_id = format!("{:016x}", rng.next_u64());
                insert_message
                    .execute(rusqlite::params![conversation_id, "assistant", answer, model, "stop", request_id, now])
                    .unwrap();
                let reply_id = tx.last_insert_rowid();
                let input = (question.len() / 4) as i64 + 3;
                let output = (answer.chars().count() / 4) as i64;
                insert_usage.execute(rusqlite::params![model, reply_id, input, output, input + output, request_id, now]).unwrap();
                conv.updated = now;
                now += rng.range(5_000, 120_000) as i64;
                written += 2;
            }
        }
        if written % 100_000 < (burst.pairs as usize * 2) {
            tx.commit().unwrap();
            eprintln!("  {written} messages");
            tx = conn.transaction().unwrap();
        }
    }
    {
        let mut pinned = HashSet::new();
        while pinned.len() < PINNED {
            pinned.insert((rng.next_u64() % CONVERSATIONS as u64) as usize);
        }
        let mut insert = tx
            .prepare(
                "INSERT INTO conversations (id, profile_id, title, model, params, pinned, created_at, updated_at)
                 VALUES (?1, 1, ?2, ?3, '{}', ?4, ?5, ?6)",
            )
            .unwrap();
        for (slot, conv) in convs.iter().enumerate() {
            let conv = conv.as_ref().expect("every conversation has messages");
            insert
                .execute(rusqlite::params![id_of[slot], conv.title, conv.model, pinned.contains(&slot), conv.created, conv.updated])
                .unwrap();
        }
    }
    tx.commit().unwrap();
    assert_eq!(written, MESSAGES);
    let violations: i64 = conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
    assert_eq!(violations, 0);
    // As the app leaves it: WAL, no ANALYZE statistics, FTS index merged only as it went.
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
}

// ---------------------------------------------------------------------------------------
// Text

/// About 3,700 words sampled by Zipf's law: everyday English first, a few accented and CJK
/// words, then invented words for the long tail.
struct Vocabulary {
    words: Vec<String>,
    cumulative: Vec<f64>,
}

const COMMON: &str = "the of and to a in is you that it for on with as are this be can your or at by not from have \
    but an will if we they more all one which there what so use do about when how make like time just no than then \
    some out up into only other could also new these its two may first any way well should would each most even need \
    here work because very through good much where file data example code function value list set run step model \
    question answer help thanks please sure note system error result test change build write read version user text \
    rust python query table page image video message search number string type return server client request response \
    harbour boat sail wind tide port dock ship crew map route weather coffee recipe bread garden travel train city \
    music book story chapter plan week month year morning evening meeting email budget price cost team project \
    design colour light photo camera summary idea reason problem solution option setting window button screen \
    keyboard memory disk network cache speed library database index cursor stream token chat reply prompt context \
    café naïve crème über façade jalapeño smörgåsbord résumé déjà vu 東京 こんにちは";

impl Vocabulary {
    fn new() -> Vocabulary {
        let mut seen = HashSet::new();
        let mut words: Vec<String> = COMMON.split_whitespace().filter(|w| seen.insert(w.to_string())).map(String::from).collect();
        let onsets = ["b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br", "cr", "dr", "fl", "gr", "pl", "st", "tr", "sh", "ch"];
        let vowels = ["a", "e", "i", "o", "u", "ai", "ea", "ou"];
        let codas = ["", "n", "r", "l", "s", "t", "m", "nd", "st"];
        let mut rng = Rng::new(SEED ^ 0x5eed);
        while words.len() < 3_700 {
            let syllables = rng.range(2, 3);
            let mut w = String::new();
            for _ in 0..syllables {
                w.push_str(onsets[(rng.next_u64() % onsets.len() as u64) as usize]);
                w.push_str(vowels[(rng.next_u64() % vowels.len() as u64) as usize]);
            }
            w.push_str(codas[(rng.next_u64() % codas.len() as u64) as usize]);
            if seen.insert(w.clone()) {
                words.push(w);
            }
        }
        let mut acc = 0.0;
        let cumulative = (0..words.len())
            .map(|rank| {
                acc += 1.0 / ((rank + 1) as f64).powf(1.05);
                acc
            })
            .collect();
        Vocabulary { words, cumulative }
    }

    fn word(&self, rng: &mut Rng) -> &str {
        let x = rng.unit() * self.cumulative[self.cumulative.len() - 1];
        let i = self.cumulative.partition_point(|c| *c < x).min(self.words.len() - 1);
        &self.words[i]
    }

    fn sentence(&self, rng: &mut Rng, words: usize, out: &mut String) {
        for i in 0..words {
            let w = self.word(rng);
            if i == 0 {
                let mut chars = w.chars();
                if let Some(c) = chars.next() {
                    out.extend(c.to_uppercase());
                    out.push_str(chars.as_str());
                }
            } else {
                out.push(' ');
                out.push_str(w);
            }
            if i + 1 < words && rng.unit() < 0.06 {
                out.push(',');
            }
        }
        out.push(if rng.unit() < 0.15 { '?' } else { '.' });
    }

    /// A question: 3 to ~50 words, mostly short.
    fn user_text(&self, rng: &mut Rng) -> String {
        let mut out = String::new();
        let words = 3 + (rng.unit().powi(2) * 45.0) as usize;
        if words > 20 && rng.unit() < 0.5 {
            self.sentence(rng, words / 2, &mut out);
            out.push(' ');
            self.sentence(rng, words - words / 2, &mut out);
        } else {
            self.sentence(rng, words, &mut out);
        }
        out
    }

    /// A reply: a few paragraphs, sometimes a list or a code block; ~80 words on average.
    fn assistant_text(&self, rng: &mut Rng) -> String {
        let mut out = String::new();
        let sentences = 2 + (rng.unit().powi(2) * 14.0) as usize;
        for i in 0..sentences {
            if i > 0 {
                out.push_str(if rng.unit() < 0.25 { "\n\n" } else { " " });
            }
            let words = rng.range(6, 18) as usize;
            self.sentence(rng, words, &mut out);
        }
        if rng.unit() < 0.25 {
            out.push_str("\n\n");
            for _ in 0..rng.range(3, 5) {
                out.push_str("- ");
                let words = rng.range(3, 9) as usize;
                self.sentence(rng, words, &mut out);
                out.push('\n');
            }
        }
        if rng.unit() < 0.1 {
            let name = self.word(rng).to_string();
            let arg = self.word(rng).to_string();
            out.push_str(&format!("\n\n```rust\nfn {name}({arg}: &str) -> usize {{\n    {arg}.len()\n}}\n```\n"));
        }
        out
    }
}
