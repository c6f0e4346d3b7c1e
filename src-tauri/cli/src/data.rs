//! Privacy & data from the command line: export, import, erase, purge, backups, usage.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use clap::{Args, Subcommand};
use nexhina_core::types::{EraseSelection, ExportSelection};
use nexhina_core::{Error, Studio};

#[derive(Args)]
pub struct ExportArgs {
    /// Where to write: a folder, or a file ending in .zip
    #[arg(long)]
    out: PathBuf,
    /// Only this kind (chat, image, video, speech, transcription, translation); repeatable
    #[arg(long = "kind")]
    kinds: Vec<String>,
    /// Only items from this day on (YYYY-MM-DD, UTC)
    #[arg(long)]
    since: Option<String>,
    /// Only this conversation
    #[arg(long)]
    conversation: Option<i64>,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("what").required(true).multiple(true).args(["all", "conversation", "item", "kinds", "before"])))]
pub struct EraseArgs {
    /// Everything: history, files, backups, settings and the keychain entries
    #[arg(long, conflicts_with_all = ["conversation", "item"])]
    all: bool,
    /// One conversation and the files only it used
    #[arg(long, conflicts_with = "item")]
    conversation: Option<i64>,
    /// One generation (image, video, speech clip, transcript) and its files
    #[arg(long)]
    item: Option<i64>,
    /// Every item of this kind (chat, image, video, speech); repeatable; with --before, only older ones
    #[arg(long = "kind", conflicts_with_all = ["all", "conversation", "item"])]
    kinds: Vec<String>,
    /// Only items made (chats: last active) before this day (YYYY-MM-DD, UTC)
    #[arg(long, conflicts_with_all = ["all", "conversation", "item"])]
    before: Option<String>,
    /// Confirm; nothing is erased without it
    #[arg(long)]
    yes: bool,
}

#[derive(Subcommand)]
pub enum BackupCommand {
    /// The copies in the backups folder, newest first
    List,
    /// Make a copy now
    Create,
    /// Replace the library with a copy (the current one is kept as a backup first)
    Restore { id: String },
}

#[derive(Args)]
pub struct UsageArgs {
    /// From this day on (YYYY-MM-DD, UTC)
    #[arg(long)]
    since: Option<String>,
}

fn print_json<T: serde::Serialize>(value: &T) -> Result<(), Error> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Ctrl+C stops a long export or import cleanly instead of killing it mid-write.
fn cancel_on_ctrl_c() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let set = flag.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            set.store(true, Ordering::SeqCst);
        }
    });
    flag
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T, Error> + Send + 'static) -> Result<T, Error> {
    tokio::task::spawn_blocking(work).await.map_err(|e| Error::Internal(e.to_string()))?
}

pub async fn export(studio: &Arc<Studio>, args: ExportArgs, json: bool) -> Result<(), Error> {
    let since = args.since.as_deref().map(parse_day).transpose()?;
    let selection = ExportSelection { kinds: args.kinds, since, conversation_id: args.conversation };
    let (studio, cancel) = (studio.clone(), cancel_on_ctrl_c());
    let report = blocking(move || {
        studio.export_library(&args.out, &selection, &mut |p| {
            if !json && p.total > 0 {
                eprint!("\rexporting {}%", p.done * 100 / p.total);
            }
        }, &|| cancel.load(Ordering::SeqCst))
    })
    .await;
    if !json {
        eprintln!();
    }
    let report = report?;
    if json {
        return print_json(&report);
    }
    let c = &report.counts;
    println!("{}", report.path);
    println!(
        "{} conversations, {} messages, {} generations, {} files ({:.1} MB)",
        c.conversations, c.messages, c.generations, c.assets, report.bytes as f64 / 1_048_576.0
    );
    Ok(())
}

pub async fn import(studio: &Arc<Studio>, path: PathBuf, json: bool) -> Result<(), Error> {
    let (studio, cancel) = (studio.clone(), cancel_on_ctrl_c());
    let report = blocking(move || studio.import_library(&path, &mut |_| {}, &|| cancel.load(Ordering::SeqCst))).await?;
    if json {
        return print_json(&report);
    }
    let (a, s) = (&report.added, &report.skipped);
    println!(
        "added {} conversations, {} messages, {} generations, {} files; {} items were already here",
        a.conversations, a.messages, a.generations, a.assets,
        s.conversations + s.messages + s.generations + s.assets
    );
    Ok(())
}

pub fn erase(studio: &Studio, args: EraseArgs, json: bool) -> Result<(), Error> {
    if args.all {
        let summary = studio.library_summary()?;
        if !args.yes {
            return Err(Error::InvalidInput(format!(
                "this erases {} conversations ({} messages), {} generations, {} files ({:.1} MB), {} backups, the settings and the keys of {}; add --yes to confirm",
                summary.conversations, summary.messages, summary.generations, summary.files,
                summary.file_bytes as f64 / 1_048_576.0, summary.backups,
                if summary.platforms.is_empty() { "no platform".to_string() } else { summary.platforms.join(", ") }
            )));
        }
        studio.erase_everything()?;
        return done(json, "everything was erased");
    }
    if !args.kinds.is_empty() || args.before.is_some() {
        let before = args.before.as_deref().map(parse_day).transpose()?;
        let selection = EraseSelection { kinds: args.kinds, before };
        if !args.yes {
            let preview = studio.erase_selection_preview(&selection)?;
            return Err(Error::InvalidInput(format!(
                "this erases {} conversations and {} generations with their files; add --yes to confirm",
                preview.conversations, preview.generations
            )));
        }
        let report = studio.erase_selection(&selection)?;
        return done(
            json,
            &format!(
                "{} conversations and {} generations were erased ({} files, {:.1} MB)",
                report.conversations,
                report.generations,
                report.files,
                report.bytes as f64 / 1_048_576.0
            ),
        );
    }
    if !args.yes {
        return Err(Error::InvalidInput("add --yes to confirm the erasure".into()));
    }
    if let Some(id) = args.conversation {
        studio.erase_conversation(id)?;
        return done(json, &format!("conversation {id} was erased"));
    }
    if let Some(id) = args.item {
        studio.erase_item(id)?;
        return done(json, &format!("item {id} was erased"));
    }
    Ok(())
}

fn done(json: bool, text: &str) -> Result<(), Error> {
    if json {
        print_json(&serde_json::json!({ "done": text }))
    } else {
        println!("{text}");
        Ok(())
    }
}

pub fn purge(studio: &Studio, json: bool) -> Result<(), Error> {
    let report = studio.purge()?;
    if json {
        return print_json(&report);
    }
    println!(
        "removed {} conversations, {} generations, {} files ({:.1} MB)",
        report.conversations, report.generations, report.files, report.bytes as f64 / 1_048_576.0
    );
    Ok(())
}

pub fn backup(studio: &Studio, command: BackupCommand, json: bool) -> Result<(), Error> {
    match command {
        BackupCommand::List => {
            let list = studio.backups()?;
            if json {
                return print_json(&list);
            }
            for b in list {
                println!("{}  {:<14} {:>10.1} KB  {}", day_time(b.created_at), b.reason, b.size_bytes as f64 / 1024.0, b.id);
            }
            Ok(())
        }
        BackupCommand::Create => {
            let b = studio.create_backup()?;
            if json {
                return print_json(&b);
            }
            println!("{}", b.id);
            Ok(())
        }
        BackupCommand::Restore { id } => {
            let report = studio.restore_backup(&id)?;
            if json {
                return print_json(&serde_json::json!({
                    "done": format!("restored {id}"),
                    "files_restored": report.files_restored,
                    "files_missing": report.files_missing,
                }));
            }
            println!("restored {id}");
            if report.files_restored > 0 {
                println!("{} files erased since the backup were put back", report.files_restored);
            }
            if report.files_missing > 0 {
                println!("{} files are missing: neither the library nor the backup has them", report.files_missing);
            }
            Ok(())
        }
    }
}

pub fn usage(studio: &Studio, args: UsageArgs, json: bool) -> Result<(), Error> {
    let since = args.since.as_deref().map(parse_day).transpose()?;
    let report = studio.usage(since)?;
    if json {
        return print_json(&report);
    }
    println!("{:<10}  {:<24} {:>8} {:>12} {:>7} {:>9} {:>9}", "day", "model", "requests", "tokens", "images", "video s", "audio s");
    for r in report.rows.iter().chain(std::iter::once(&report.totals)) {
        let day = if r.day.is_empty() { "total" } else { &r.day };
        println!(
            "{:<10}  {:<24} {:>8} {:>12} {:>7} {:>9.1} {:>9.1}",
            day, r.model, r.requests, r.total_tokens, r.images, r.video_seconds, r.audio_seconds
        );
    }
    Ok(())
}

/// `YYYY-MM-DD` → Unix ms at 00:00 UTC.
fn parse_day(text: &str) -> Result<i64, Error> {
    let bad = || Error::InvalidInput(format!("{text:?} is not a date; use YYYY-MM-DD"));
    let parts: Vec<i64> = text.trim().split('-').map(|p| p.parse().map_err(|_| bad())).collect::<Result<_, _>>()?;
    let [y, m, d] = parts[..] else { return Err(bad()) };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Ok((era * 146_097 + doe - 719_468) * 86_400_000)
}

fn day_time(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let secs = ms.div_euclid(1000).rem_euclid(86_400);
    // Civil date from days (the inverse of parse_day).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", secs / 3600, secs / 60 % 60)
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_read_and_print_the_same() {
        let ms = super::parse_day("2026-03-01").unwrap();
        assert_eq!(super::day_time(ms), "2026-03-01 00:00 UTC");
        assert_eq!(super::parse_day("1970-01-01").unwrap(), 0);
        assert!(super::parse_day("2026-13-01").is_err());
        assert!(super::parse_day("yesterday").is_err());
    }
}
