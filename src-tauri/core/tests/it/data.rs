//! Data ownership on real SQLite files and real media files: export → import → export,
//! damaged and foreign archives, a cancelled export, erasure with a scan of the data
//! folder, retention with a fake clock, backups and restore, migrations from the first
//! schema, usage.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use nexhina_core::library::Library;
use nexhina_core::media::Origin;
use nexhina_core::secrets::KeyStore;
use nexhina_core::types::{
    EraseSelection, ExportSelection, GenerationKind, KeyStorage, MessageStatus, ProfileInput, RestoreReport, RetentionPolicy, Role,
    TokenUsage,
};
use nexhina_core::{Studio, StudioOptions};

const MARKER: &str = "zebra-quartz-7f3a";
const DAY: i64 = 24 * 60 * 60 * 1000;

fn png(seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(320, 240, |x, y| image::Rgb([x as u8 ^ seed, y as u8, seed]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn wav(seconds: u32, tone: f32) -> Vec<u8> {
    let spec = hound::WavSpec { channels: 1, sample_rate: 8000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut out = std::io::Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut out, spec).unwrap();
    for i in 0..8000 * seconds {
        w.write_sample(((i as f32 * tone).sin() * 8000.0) as i16).unwrap();
    }
    w.finalize().unwrap();
    out.into_inner()
}

/// A library with every kind of item: a conversation with an attached image, a reply
/// and its usage; an edited image with lineage; a speech clip; a transcript; a video job.
fn populate(lib: &Library) {
    let conv = lib.create_conversation(None, &format!("Trip {MARKER}"), Some("gpt-4o-mini")).unwrap();
    let photo = lib.import_image(&png(1), Some("holiday.png")).unwrap();
    let q = lib.insert_message(conv.id, Role::User, &format!("What is in this photo? {MARKER}"), MessageStatus::Complete, None).unwrap();
    lib_attach(lib, q, photo.id);
    let a = lib.insert_message(conv.id, Role::Assistant, "A lighthouse.", MessageStatus::Complete, Some("gpt-4o-mini")).unwrap();
    let usage = TokenUsage { input_tokens: Some(120), output_tokens: Some(30), total_tokens: Some(150) };
    lib.record_usage(None, "chat", "gpt-4o-mini", Some(a), &usage).unwrap();

    let params = serde_json::json!({"size": "320x240"});
    let first = generation(lib, GenerationKind::Image, "gpt-image-1", &format!("a lighthouse {MARKER}"), &params, None, &[]);
    let out = lib.store_generated_image(&png(2)).unwrap();
    lib.complete_generation(first, &[out.id], Some("a tall lighthouse"), None).unwrap();
    let edit = generation(lib, GenerationKind::Image, "gpt-image-1", "make it night", &params, Some(first), &[("input", out.id)]);
    let night = lib.store_generated_image(&png(3)).unwrap();
    lib.complete_generation(edit, &[night.id], None, None).unwrap();
    lib.record_generation_usage(None, "images", "gpt-image-1", edit, &usage).unwrap();

    let speech = generation(lib, GenerationKind::Speech, "tts-1", "Hello there", &serde_json::json!({"voice": "alloy"}), None, &[]);
    let clip = lib.store_audio(&wav(2, 0.05), "audio/wav", Origin::Generated, None).unwrap();
    lib.complete_generation(speech, &[clip.id], None, None).unwrap();

    let heard = lib.store_audio(&wav(1, 0.09), "audio/wav", Origin::Uploaded, Some("memo.wav")).unwrap();
    let tr = generation(lib, GenerationKind::Transcription, "whisper-1", "", &serde_json::json!({}), None, &[("input", heard.id)]);
    lib.complete_generation(tr, &[], None, Some(&format!("meet at noon {MARKER}"))).unwrap();

    let video = generation(lib, GenerationKind::Video, "sora-2", "waves", &serde_json::json!({"seconds": 4}), None, &[("first_frame", photo.id)]);
    let job = lib.insert_job(video, "tasks").unwrap();
    lib.set_job_task(job, video, "task-123").unwrap();
    let mut mp4 = vec![0, 0, 0, 24];
    mp4.extend_from_slice(b"ftypisom\0\0\x02\0isomiso2");
    mp4.extend_from_slice(&[7; 64]);
    let file = lib.store_generated_video(&mp4).unwrap();
    lib.complete_generation(video, &[file.id], None, None).unwrap();
}

fn lib_attach(lib: &Library, message: i64, asset: i64) {
    // Attachments are written with the turn; a direct row keeps this test to the library.
    let conn = rusqlite::Connection::open(lib.path()).unwrap();
    conn.execute("INSERT INTO attachments (message_id, position, asset_id) VALUES (?1, 0, ?2)", (message, asset)).unwrap();
}

fn generation(
    lib: &Library,
    kind: GenerationKind,
    model: &str,
    prompt: &str,
    params: &serde_json::Value,
    parent: Option<i64>,
    inputs: &[(&str, i64)],
) -> i64 {
    lib.insert_generation(&nexhina_core::library::generations::NewGeneration {
        profile_id: None,
        kind,
        model,
        prompt,
        params,
        parent_generation_id: parent,
        inputs,
    })
    .unwrap()
}

fn export(lib: &Library, out: &Path) -> nexhina_core::types::ExportReport {
    lib.export_archive(out, &ExportSelection::default(), &mut |_| {}, &|| false).unwrap()
}

/// Every file of a folder archive but the manifest (whose only other field is its date).
fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for path in walk(dir) {
        let name = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
        if name != "manifest.json" {
            files.insert(name, std::fs::read(&path).unwrap());
        }
    }
    files
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path());
        }
    }
    out
}

fn count(lib: &Library, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(lib.path()).unwrap();
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0)).unwrap()
}

#[test]
fn export_import_export_gives_the_same_archive_and_a_second_import_doubles_nothing() {
    let (a, b, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let source = Library::open(a.path()).unwrap();
    populate(&source);
    let first = export(&source, &out.path().join("first.zip"));
    assert_eq!(first.counts.conversations, 1);
    assert_eq!(first.counts.messages, 2);
    assert_eq!(first.counts.generations, 5);
    assert_eq!(first.counts.jobs, 1);
    assert_eq!(first.counts.usage, 2);
    assert_eq!(first.counts.assets, 6);
    assert!(!out.path().join("first.zip.partial").exists());

    let target = Library::open(b.path()).unwrap();
    let report = target.import_archive(&out.path().join("first.zip"), &mut |_| {}, &|| false).unwrap();
    assert_eq!(report.added, first.counts);

    export(&source, &out.path().join("a"));
    export(&target, &out.path().join("b"));
    let (before, after) = (contents(&out.path().join("a")), contents(&out.path().join("b")));
    assert!(before.keys().any(|k| k.starts_with("media/thumbs/")), "thumbnails travel too: {:?}", before.keys());
    assert_eq!(before, after, "export → import → export gives the same content");

    let again = target.import_archive(&out.path().join("first.zip"), &mut |_| {}, &|| false).unwrap();
    assert_eq!(again.added, Default::default(), "a second import adds nothing");
    assert_eq!(count(&target, "messages"), 2);
    assert_eq!(count(&target, "generations"), 5);
    assert_eq!(count(&target, "assets"), 6);
    // The imported library works as one made here: search finds the imported text.
    assert_eq!(target.search_messages(MARKER, 10).unwrap().len(), 1);
}

#[test]
fn exported_generated_images_carry_the_ai_label_and_import_stores_the_originals_once() {
    let (a, b, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let source = Library::open(a.path()).unwrap();
    populate(&source);
    let folder = out.path().join("x");
    export(&source, &folder);
    let in_archive = |seed: u8| {
        let name = nexhina_core::media::file_name(&nexhina_core::media::sha256_hex(&png(seed)), "image/png");
        (format!("media/{}", name.to_string_lossy()), std::fs::read(folder.join("media").join(&name)).unwrap())
    };
    let has = |bytes: &[u8], needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());

    let (name, generated) = in_archive(2);
    assert!(has(&generated, "Iptc4xmpExt:DigitalSourceType"), "the generated image is labelled");
    assert!(has(&generated, nexhina_core::media::labels::TRAINED_ALGORITHMIC_MEDIA));
    assert!(has(&generated, "gpt-image-1"), "the label names the model");
    assert!(!has(&generated, MARKER), "the prompt stays out of the label");
    image::load_from_memory(&generated).expect("still an image");
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(folder.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["files"][&name]["sha256"], nexhina_core::media::sha256_hex(&generated), "the checksum is of the bytes written");
    assert_eq!(manifest["files"][&name]["labelled"], true);
    let (name, uploaded) = in_archive(1);
    assert_eq!(uploaded, png(1), "the person's own photo is as they gave it");
    assert!(manifest["files"][&name].get("labelled").is_none());

    // Into an empty library: the store holds the original under its hash.
    let target = Library::open(b.path()).unwrap();
    target.import_archive(&folder, &mut |_| {}, &|| false).unwrap();
    let stored = target.media_root().join(nexhina_core::media::file_name(&nexhina_core::media::sha256_hex(&png(2)), "image/png"));
    assert_eq!(std::fs::read(stored).unwrap(), png(2));
    // Into the library it came from: nothing doubled, the store unchanged.
    let files = walk(&source.media_root());
    let again = source.import_archive(&folder, &mut |_| {}, &|| false).unwrap();
    assert_eq!(again.added, Default::default());
    assert_eq!(count(&source, "assets"), 6);
    assert_eq!(walk(&source.media_root()), files);

    // A labelled file that does not give back its original is refused.
    std::fs::write(folder.join(&in_archive(2).0), png(4)).unwrap();
    let mut manifest = manifest;
    manifest["files"][&in_archive(2).0] = serde_json::json!({"sha256": nexhina_core::media::sha256_hex(&png(4)), "bytes": png(4).len(), "labelled": true});
    std::fs::write(folder.join("manifest.json"), serde_json::to_vec(&manifest).unwrap()).unwrap();
    let empty = tempfile::tempdir().unwrap();
    let fresh = Library::open(empty.path()).unwrap();
    let err = fresh.import_archive(&folder, &mut |_| {}, &|| false).unwrap_err();
    assert!(err.to_string().contains("without its label"), "{err}");
    assert_eq!(walk(&fresh.media_root()), Vec::<PathBuf>::new(), "nothing was left in the store");
}

#[test]
fn import_into_a_library_with_history_remaps_ids_and_shares_files_by_hash() {
    let (a, b, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let source = Library::open(a.path()).unwrap();
    populate(&source);
    export(&source, &out.path().join("x.zip"));

    let target = Library::open(b.path()).unwrap();
    let mine = target.create_conversation(None, "my own", None).unwrap();
    target.insert_message(mine.id, Role::User, "mine", MessageStatus::Complete, None).unwrap();
    let same_photo = target.import_image(&png(1), Some("same.png")).unwrap();
    generation(&target, GenerationKind::Image, "m", "p", &serde_json::json!({}), None, &[("input", same_photo.id)]);

    let report = target.import_archive(&out.path().join("x.zip"), &mut |_| {}, &|| false).unwrap();
    assert_eq!(report.added.conversations, 1);
    assert_eq!(report.skipped.assets, 1, "the photo already in the store is shared, not copied");
    assert_eq!(count(&target, "conversations"), 2);
    assert_eq!(count(&target, "messages"), 3);
    let conn = rusqlite::Connection::open(target.path()).unwrap();
    let (conv, parent_ok): (i64, bool) = conn
        .query_row(
            "SELECT (SELECT conversation_id FROM messages WHERE content LIKE 'What is in%'),
                    (SELECT g.parent_generation_id = p.id FROM generations g JOIN generations p ON p.prompt LIKE 'a lighthouse%'
                     WHERE g.prompt = 'make it night')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_ne!(conv, mine.id, "ids were remapped, not merged into the existing conversation");
    assert!(parent_ok, "lineage follows the new ids");
    let attached: String = conn
        .query_row(
            "SELECT s.sha256 FROM attachments a JOIN assets s ON s.id = a.asset_id JOIN messages m ON m.id = a.message_id
             WHERE m.content LIKE 'What is in%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(attached, same_photo.sha256);
    drop(conn);
    let again = target.import_archive(&out.path().join("x.zip"), &mut |_| {}, &|| false).unwrap();
    assert_eq!(again.added, Default::default());
}

#[test]
fn a_damaged_or_foreign_archive_is_refused_and_changes_nothing() {
    let (a, b, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let source = Library::open(a.path()).unwrap();
    populate(&source);
    let folder = out.path().join("folder");
    export(&source, &folder);
    let target = Library::open(b.path()).unwrap();
    target.create_conversation(None, "keep", None).unwrap();
    let files_before = walk(b.path()).len();

    // One changed byte in the messages.
    let messages = folder.join("messages.jsonl");
    let mut bytes = std::fs::read(&messages).unwrap();
    let at = bytes.iter().position(|b| *b == b'W').unwrap();
    bytes[at] = b'w';
    std::fs::write(&messages, bytes).unwrap();
    let err = target.import_archive(&folder, &mut |_| {}, &|| false).unwrap_err();
    assert!(err.to_string().contains("damaged") && err.to_string().contains("messages.jsonl"), "{err}");

    // A line that does not parse, with a checksum that matches it: the rows already added
    // in the transaction are rolled back and copied files removed.
    let lines = std::fs::read_to_string(folder.join("generations.jsonl")).unwrap();
    std::fs::write(folder.join("messages.jsonl"), "{\"id\": 1}\n").unwrap();
    std::fs::write(folder.join("generations.jsonl"), lines).unwrap();
    let mut manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(folder.join("manifest.json")).unwrap()).unwrap();
    let fixed = std::fs::read(folder.join("messages.jsonl")).unwrap();
    manifest["files"]["messages.jsonl"] = serde_json::json!({"sha256": nexhina_core::media::sha256_hex(&fixed), "bytes": fixed.len()});
    std::fs::write(folder.join("manifest.json"), serde_json::to_vec(&manifest).unwrap()).unwrap();
    let err = target.import_archive(&folder, &mut |_| {}, &|| false).unwrap_err();
    assert!(err.to_string().contains("messages.jsonl line 1"), "{err}");

    // Not an export at all: random bytes, and a zip of something else.
    std::fs::write(out.path().join("random.zip"), b"PK\x03\x04 not really").unwrap();
    let err = target.import_archive(&out.path().join("random.zip"), &mut |_| {}, &|| false).unwrap_err();
    assert!(err.to_string().contains("not a Nexhina Studio export"), "{err}");
    let foreign = std::fs::File::create(out.path().join("foreign.zip")).unwrap();
    let mut zip = zip::ZipWriter::new(foreign);
    zip.start_file("manifest.json", zip::write::SimpleFileOptions::default()).unwrap();
    std::io::Write::write_all(&mut zip, br#"{"format": "someone-else", "version": 1}"#).unwrap();
    zip.finish().unwrap();
    let err = target.import_archive(&out.path().join("foreign.zip"), &mut |_| {}, &|| false).unwrap_err();
    assert!(err.to_string().contains("another format"), "{err}");

    assert_eq!(count(&target, "conversations"), 1);
    assert_eq!(count(&target, "messages"), 0);
    assert_eq!(count(&target, "assets"), 0);
    assert_eq!(walk(b.path()).len(), files_before, "no file was left in the store");
}

#[test]
fn a_cancelled_export_leaves_no_archive_behind() {
    let (a, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let lib = Library::open(a.path()).unwrap();
    populate(&lib);
    for name in ["cancel.zip", "cancel-folder"] {
        let target = out.path().join(name);
        let err = lib.export_archive(&target, &ExportSelection::default(), &mut |_| {}, &|| true).unwrap_err();
        assert_eq!(err.code(), "cancelled", "{err}");
        assert!(err.to_string().contains("no archive was left behind"), "{err}");
        assert!(!target.exists());
        assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0, "no .partial left either");
    }
    // A stale .partial from a killed export is replaced, and a finished export never is.
    std::fs::write(out.path().join("k.zip.partial"), b"half").unwrap();
    export(&lib, &out.path().join("k.zip"));
    assert!(!out.path().join("k.zip.partial").exists());
    let other = tempfile::tempdir().unwrap();
    let target = Library::open(other.path()).unwrap();
    let err = target.import_archive(&out.path().join("k.zip"), &mut |_| {}, &|| true).unwrap_err();
    assert_eq!(err.code(), "cancelled", "{err}");
    assert_eq!(count(&target, "assets"), 0, "a cancelled import changed nothing");
    let err = lib.export_archive(&out.path().join("k.zip"), &ExportSelection::default(), &mut |_| {}, &|| false).unwrap_err();
    assert!(err.to_string().contains("already exists"), "{err}");
}

#[test]
fn a_selection_exports_only_that_kind_and_its_files() {
    let (a, out) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let lib = Library::open(a.path()).unwrap();
    populate(&lib);
    let sel = ExportSelection { kinds: vec!["speech".into()], ..Default::default() };
    let report = lib.export_archive(&out.path().join("s"), &sel, &mut |_| {}, &|| false).unwrap();
    assert_eq!((report.counts.conversations, report.counts.generations, report.counts.assets), (0, 1, 1));
    let err = lib.export_archive(&out.path().join("t"), &ExportSelection { kinds: vec!["nope".into()], ..Default::default() }, &mut |_| {}, &|| false);
    assert!(err.is_err());
}

fn grep_dir(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    walk(dir).into_iter().filter(|p| std::fs::read(p).unwrap().windows(needle.len()).any(|w| w == needle)).collect()
}

#[test]
fn erasing_everything_leaves_nothing_of_the_user_in_the_data_folder() {
    let dir = tempfile::tempdir().unwrap();
    let keys = KeyStore::new("nexhina-studio-it-erase", None);
    let studio = Studio::open(StudioOptions { data_dir: dir.path().into(), ..Default::default() }, keys).unwrap();
    populate(studio.library());
    studio
        .save_profile(ProfileInput { base_url: "https://gateway.example.com".into(), api_key: Some("sk-erase-me".into()), key_storage: KeyStorage::Memory })
        .unwrap();
    studio.create_backup().unwrap();
    assert!(!grep_dir(dir.path(), MARKER.as_bytes()).is_empty(), "the scan can see the user's text");
    let summary = studio.library_summary().unwrap();
    assert_eq!((summary.conversations, summary.generations, summary.backups), (1, 5, 1));
    assert_eq!(summary.platforms, vec!["https://gateway.example.com".to_string()]);

    studio.erase_everything().unwrap();

    assert_eq!(grep_dir(dir.path(), MARKER.as_bytes()), Vec::<PathBuf>::new());
    assert_eq!(grep_dir(dir.path(), b"gateway.example.com"), Vec::<PathBuf>::new());
    assert_eq!(grep_dir(dir.path(), b"lighthouse"), Vec::<PathBuf>::new());
    let left: Vec<String> = walk(dir.path()).iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert!(left.iter().all(|n| n.starts_with("library.sqlite3")), "only the empty library file remains: {left:?}");
    assert_eq!(studio.profile_view().unwrap().base_url, "", "settings and platforms are gone");
    assert!(studio.profile_view().unwrap().key_hint.is_none());
    assert_eq!(studio.library_summary().unwrap(), Default::default());
    // The library still works afterwards.
    studio.library().create_conversation(None, "fresh start", None).unwrap();
}

#[test]
fn erasing_one_conversation_or_one_item_removes_their_own_files_only() {
    let dir = tempfile::tempdir().unwrap();
    let studio = Studio::open(StudioOptions { data_dir: dir.path().into(), ..Default::default() }, KeyStore::new("nexhina-it", None)).unwrap();
    let lib = studio.library();
    populate(lib);
    let media = lib.media_root();
    let files = walk(&media).len();
    let conv = lib.conversations(None, 10).unwrap().items[0].id;
    // The conversation's photo is also the video's first frame, so it stays.
    studio.erase_conversation(conv).unwrap();
    assert_eq!(walk(&media).len(), files);
    assert_eq!(count(lib, "messages"), 0);
    let video = lib.gallery(&Default::default(), None, 50).unwrap().items.into_iter().find(|i| i.kind == GenerationKind::Video).unwrap();
    studio.erase_item(video.id).unwrap();
    assert!(walk(&media).len() < files - 1, "the video and the photo only it used are gone");
    let photo = nexhina_core::media::sha256_hex(&png(1));
    assert!(walk(&media).iter().all(|p| !p.to_string_lossy().contains(&photo)));
}

#[test]
fn erasing_a_selection_removes_those_kinds_before_the_date_with_their_files_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let studio = Studio::open(StudioOptions { data_dir: dir.path().into(), ..Default::default() }, KeyStore::new("nexhina-it", None)).unwrap();
    let lib = studio.library();
    populate(lib);
    let media = lib.media_root();
    let files = walk(&media).len();
    let now = nexhina_core::library::now_ms();

    // Nothing was made before yesterday: nothing goes.
    let yesterday = EraseSelection { kinds: vec!["image".into()], before: Some(now - DAY) };
    assert_eq!(studio.erase_selection_preview(&yesterday).unwrap(), Default::default());
    assert_eq!(studio.erase_selection(&yesterday).unwrap().generations, 0);

    // Images made before tomorrow: both go, with their files (at once, young as they are).
    let images = EraseSelection { kinds: vec!["image".into()], before: Some(now + DAY) };
    let preview = studio.erase_selection_preview(&images).unwrap();
    assert_eq!((preview.conversations, preview.generations), (0, 2));
    let report = studio.erase_selection(&images).unwrap();
    assert_eq!((report.conversations, report.generations), (0, 2));
    assert_eq!(report.files, 4, "two images and their thumbnails: {report:?}");
    assert_eq!(walk(&media).len(), files - 4);
    assert_eq!(count(lib, "conversations"), 1, "the chat was not selected");
    assert!(lib.gallery(&Default::default(), None, 50).unwrap().items.iter().all(|i| i.kind != GenerationKind::Image));

    // Chats and speech, any date: the conversation and the clip and transcript go; the
    // photo the conversation shared with the video stays with the video.
    let report = studio.erase_selection(&EraseSelection { kinds: vec!["chat".into(), "speech".into()], before: None }).unwrap();
    assert_eq!((report.conversations, report.generations), (1, 2));
    assert_eq!(count(lib, "messages"), 0);
    let left: Vec<GenerationKind> = lib.gallery(&Default::default(), None, 50).unwrap().items.iter().map(|i| i.kind).collect();
    assert_eq!(left, [GenerationKind::Video]);
    let photo = nexhina_core::media::sha256_hex(&png(1));
    assert!(walk(&media).iter().any(|p| p.to_string_lossy().contains(&photo)), "the video's first frame stays");
}

#[test]
fn retention_purges_what_expired_by_the_clock_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let lib = Library::open(dir.path()).unwrap();
    populate(&lib);
    let media = lib.media_root();
    let now = nexhina_core::library::now_ms();
    let stray = media.join("ab").join(format!("ab{}.png", "0".repeat(62)));
    std::fs::create_dir_all(stray.parent().unwrap()).unwrap();
    std::fs::write(&stray, b"left by a crash").unwrap();

    // Forever (the default): nothing goes, even far in the future; a young stray file stays.
    assert_eq!(lib.purge(now).unwrap(), Default::default());
    assert!(stray.exists(), "a file this young may belong to a row being written");
    assert_eq!(lib.purge(now + 3650 * DAY).unwrap().generations, 0);
    assert!(!stray.exists(), "a file no row points at is removed");

    lib.set_retention(&RetentionPolicy { images: Some(30), ..Default::default() }).unwrap();
    let report = lib.purge(now + 29 * DAY).unwrap();
    assert_eq!(report.generations, 0);
    let report = lib.purge(now + 31 * DAY).unwrap();
    assert_eq!((report.generations, report.conversations), (2, 0));
    assert_eq!(report.files, 4, "the two images and their thumbnails: {report:?}");
    assert_eq!(count(&lib, "generations"), 3);

    lib.set_retention(&RetentionPolicy { chats: Some(7), videos: Some(7), speech: Some(7), images: Some(30) }).unwrap();
    lib.purge(now + 8 * DAY).unwrap();
    assert_eq!((count(&lib, "conversations"), count(&lib, "generations"), count(&lib, "assets")), (0, 0, 0));
    assert_eq!(walk(&media).len(), 0, "every file, thumbnail and poster is gone");
    let conn = rusqlite::Connection::open(lib.path()).unwrap();
    let hits: i64 = conn.query_row("SELECT count(*) FROM generations_fts WHERE generations_fts MATCH 'lighthouse'", [], |r| r.get(0)).unwrap();
    assert_eq!(hits, 0, "the search index forgot them too");
}

#[test]
fn a_backup_restores_the_library_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let lib = Library::open(dir.path()).unwrap();
    lib.create_conversation(None, "before the backup", None).unwrap();
    let now = nexhina_core::library::now_ms();
    let first = lib.daily_backup(now).unwrap().expect("the first copy of the day");
    assert!(lib.daily_backup(now).unwrap().is_none(), "one daily copy per day");
    for day in 1..8 {
        lib.daily_backup(now + day * DAY).unwrap();
    }
    let daily: Vec<_> = lib.backups().unwrap().into_iter().filter(|b| b.reason == "daily").collect();
    assert_eq!(daily.len(), 5, "only the newest few are kept");
    assert!(daily.iter().all(|b| b.size_bytes > 0));
    assert!(!daily.iter().any(|b| b.id == first.id), "the oldest went first");

    let keep = lib.backups().unwrap()[0].id.clone();
    lib.create_conversation(None, "after the backup", None).unwrap();
    lib.restore_backup(&keep, now).unwrap();
    let titles: Vec<String> = lib.conversations(None, 10).unwrap().items.into_iter().map(|c| c.title).collect();
    assert_eq!(titles, vec!["before the backup".to_string()]);
    assert!(lib.backups().unwrap().iter().any(|b| b.reason == "before_restore"), "the restore can be undone");

    std::fs::write(lib.backup_dir().join("broken.sqlite3"), b"not a database at all, just text").unwrap();
    assert!(lib.restore_backup("broken.sqlite3", now).is_err());
    assert!(lib.restore_backup("../library.sqlite3", now).is_err());
    assert_eq!(lib.conversations(None, 10).unwrap().items.len(), 1, "a bad backup changed nothing");
}

#[test]
fn a_restore_brings_back_the_media_erased_since_the_backup() {
    let dir = tempfile::tempdir().unwrap();
    let studio = Studio::open(StudioOptions { data_dir: dir.path().into(), ..Default::default() }, KeyStore::new("nexhina-it", None)).unwrap();
    let lib = studio.library();
    populate(lib);
    let night = lib.gallery(&Default::default(), None, 50).unwrap().items.into_iter().find(|i| i.prompt == "make it night").unwrap();
    let asset = lib.generation(night.id).unwrap().outputs.remove(0);
    assert_eq!(asset.sha256, nexhina_core::media::sha256_hex(&png(3)));
    let thumbnail = asset.thumbnail_path.clone().expect("a thumbnail");

    let backup = studio.create_backup().unwrap();
    let database = std::fs::metadata(lib.backup_dir().join(&backup.id)).unwrap().len();
    assert!(backup.size_bytes >= database + png(3).len() as u64, "the size counts the media it keeps: {backup:?}");
    studio.erase_item(night.id).unwrap();
    assert!(!Path::new(&asset.path).exists() && !Path::new(&thumbnail).exists());

    let report = studio.restore_backup(&backup.id).unwrap();
    assert_eq!(report, RestoreReport { files_restored: 1, files_missing: 0 });
    let restored = lib.generation(night.id).unwrap().outputs.remove(0);
    assert_eq!(restored.path, asset.path, "the row points at the file");
    assert_eq!(lib.read_asset(&restored).unwrap(), png(3), "with the same bytes");
    assert!(Path::new(&thumbnail).exists());

    // A file neither the library nor the backup has is counted, not passed over.
    studio.erase_item(night.id).unwrap();
    std::fs::remove_dir_all(lib.backup_dir().join("media")).unwrap();
    let report = studio.restore_backup(&backup.id).unwrap();
    assert_eq!(report, RestoreReport { files_restored: 0, files_missing: 1 });
}

#[test]
fn kept_media_are_links_and_go_with_the_last_backup_that_refers_to_them() {
    let dir = tempfile::tempdir().unwrap();
    let studio = Studio::open(StudioOptions { data_dir: dir.path().into(), ..Default::default() }, KeyStore::new("nexhina-it", None)).unwrap();
    let lib = studio.library();
    let id = generation(lib, GenerationKind::Image, "gpt-image-1", "a kite", &serde_json::json!({}), None, &[]);
    let image = lib.store_generated_image(&png(5)).unwrap();
    lib.complete_generation(id, &[image.id], None, None).unwrap();
    let now = nexhina_core::library::now_ms();
    lib.daily_backup(now).unwrap();
    let kept = lib.backup_dir().join("media").join(nexhina_core::media::file_name(&image.sha256, &image.mime));
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        assert_eq!(std::fs::metadata(&kept).unwrap().ino(), std::fs::metadata(&image.path).unwrap().ino(), "a hard link, not a copy");
    }

    studio.erase_item(id).unwrap();
    // The copy of day `kept` pushes out the first one, the last that refers to the file.
    let kept_days = nexhina_core::library::backups::DAILY_KEPT as i64;
    for day in 1..kept_days {
        lib.daily_backup(now + day * DAY).unwrap();
        assert!(kept.exists(), "the first copy still refers to it on day {day}");
    }
    lib.daily_backup(now + kept_days * DAY).unwrap();
    assert!(!kept.exists(), "no copy refers to it any more");
    assert!(lib.backups().unwrap().iter().all(|b| b.reason == "daily"));
}

#[test]
fn a_library_of_the_first_schema_migrates_forward_with_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite3");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(include_str!("../../src/library/migrations/0001_initial.sql")).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute_batch(
            "INSERT INTO conversations (title, created_at, updated_at) VALUES ('old days', 1, 1);
             INSERT INTO messages (conversation_id, role, content, status, created_at, updated_at)
                 VALUES (1, 'user', 'an ancient question about otters', 'complete', 1, 1);
             INSERT INTO messages (conversation_id, role, content, status, created_at, updated_at)
                 VALUES (1, 'assistant', 'an answer', 'complete', 2, 2);
             INSERT INTO usage_records (endpoint, model, message_id, total_tokens, created_at) VALUES ('chat', 'm', 2, 9, 2);
             INSERT INTO generations (kind, model, prompt, status, created_at, updated_at)
                 VALUES ('image', 'm', 'a heron', 'complete', 3, 3);",
        )
        .unwrap();
    }
    let lib = Library::open(dir.path()).unwrap();
    assert_eq!(lib.conversations(None, 10).unwrap().items[0].title, "old days");
    assert_eq!(lib.search_messages("otters", 10).unwrap().len(), 1, "the rebuilt search index has the old rows");
    assert_eq!(lib.usage_report(None).unwrap().totals.total_tokens, 9);
    assert_eq!(count(&lib, "generations"), 1);
    let migration_copies: Vec<_> = lib.backups().unwrap().into_iter().filter(|b| b.reason == "migration").collect();
    assert_eq!(migration_copies.len(), 1, "a copy was taken before the upgrade");
    let copy = rusqlite::Connection::open(lib.backup_dir().join(&migration_copies[0].id)).unwrap();
    let version: i64 = copy.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
    assert_eq!(version, 1);
}

#[test]
fn usage_adds_tokens_images_and_seconds_per_model_and_day() {
    let dir = tempfile::tempdir().unwrap();
    let lib = Library::open(dir.path()).unwrap();
    populate(&lib);
    let report = lib.usage_report(None).unwrap();
    let row = |model: &str| report.rows.iter().find(|r| r.model == model).cloned().unwrap_or_default();
    assert_eq!((row("gpt-4o-mini").requests, row("gpt-4o-mini").total_tokens), (1, 150));
    assert_eq!(row("gpt-image-1").images, 2);
    assert_eq!(row("gpt-image-1").total_tokens, 150);
    assert!((row("tts-1").audio_seconds - 2.0).abs() < 0.01, "{:?}", row("tts-1"));
    assert!((row("whisper-1").audio_seconds - 1.0).abs() < 0.01, "{:?}", row("whisper-1"));
    assert_eq!(report.totals.total_tokens, 300);
    assert_eq!(report.totals.images, 2);
    assert!(report.rows.iter().all(|r| r.day.len() == 10));
}
