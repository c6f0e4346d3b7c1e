//! `nexhina search` (words, meaning, or both) and `nexhina index status|rebuild|config`.

use std::io::IsTerminal;
use std::sync::Arc;

use clap::{Args, Subcommand, ValueEnum};
use nexhina_core::types::{IndexStatus, SearchKind, SearchMode, SearchQuery, SearchResults, SearchSettings};
use nexhina_core::{Error, IndexSink, Studio};

#[derive(Args)]
pub struct SearchArgs {
    /// Only by meaning (embeddings)
    #[arg(long, conflicts_with = "words")]
    meaning: bool,
    /// Only by words (full text)
    #[arg(long)]
    words: bool,
    /// Only results of these kinds (repeatable)
    #[arg(long = "kind", value_enum)]
    kinds: Vec<Kind>,
    #[arg(long, default_value_t = 20)]
    limit: u32,
    #[arg(required = true, num_args = 1..)]
    query: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Message,
    Image,
    Video,
    Speech,
    Transcript,
}

#[derive(Subcommand)]
pub enum IndexCommand {
    /// How much of the library is indexed for search by meaning
    Status,
    /// Drop every vector and index the whole library again
    Rebuild,
    /// Index what is new (what the app does in the background)
    Update,
    /// Show or change the embedding model, the rerank model and the moderation check
    Config {
        #[arg(long)]
        embedding_model: Option<String>,
        /// A rerank model; an empty value turns reranking off
        #[arg(long)]
        rerank_model: Option<String>,
        /// Check prompts with the platform's moderation before sending them
        #[arg(long)]
        moderation: Option<OnOff>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

pub async fn search(studio: &Arc<Studio>, args: SearchArgs, as_json: bool) -> Result<(), Error> {
    let mode = match (args.meaning, args.words) {
        (true, _) => SearchMode::Meaning,
        (_, true) => SearchMode::Words,
        _ => SearchMode::Both,
    };
    if mode != SearchMode::Words && studio.search_settings()?.embedding_model.is_some() {
        // The CLI has no background indexer: what arrived since the last run is indexed
        // first. Offline this fails, and the search says why meaning is unavailable.
        let quiet: IndexSink = Arc::new(|_| {});
        let _ = studio.build_index(&quiet).await;
    }
    let kinds = args
        .kinds
        .iter()
        .map(|k| match k {
            Kind::Message => SearchKind::Message,
            Kind::Image => SearchKind::Image,
            Kind::Video => SearchKind::Video,
            Kind::Speech => SearchKind::Speech,
            Kind::Transcript => SearchKind::Transcript,
        })
        .collect();
    let query = SearchQuery { query: args.query.join(" "), mode, kinds, limit: Some(args.limit) };
    let results = studio.search(&query).await?;
    print_results(&results, as_json)
}

fn print_results(results: &SearchResults, as_json: bool) -> Result<(), Error> {
    if as_json {
        println!("{}", serde_json::to_string_pretty(results)?);
        return Ok(());
    }
    if let Some(why) = &results.meaning_unavailable {
        eprintln!("note: {why}");
    }
    if let Some(why) = &results.rerank_error {
        eprintln!("note: not reranked: {why}");
    }
    if results.results.is_empty() {
        eprintln!("no results");
    }
    let bold = std::io::stdout().is_terminal();
    for r in &results.results {
        let snippet = if bold { r.snippet.replace('\u{2}', "\x1b[1m").replace('\u{3}', "\x1b[0m") } else { r.snippet.replace(['\u{2}', '\u{3}'], "") };
        let how = match (r.by_words, r.by_meaning) {
            (true, true) => "words+meaning",
            (true, false) => "words",
            _ => "meaning",
        };
        match (r.message_id, &r.item) {
            (Some(message), _) => println!(
                "message     conversation {} \"{}\" message {message} ({how})\n            {snippet}",
                r.conversation_id.unwrap_or_default(),
                r.title
            ),
            (None, Some(item)) => {
                let kind = format!("{:?}", r.kind).to_lowercase();
                println!("{kind:<11} generation {} ({how})\n            {snippet}", item.id);
                if let Some(path) = &item.file_path {
                    println!("            {path}");
                }
            }
            _ => {}
        }
    }
    Ok(())
}

pub async fn index(studio: &Arc<Studio>, command: IndexCommand, as_json: bool) -> Result<(), Error> {
    let status = match command {
        IndexCommand::Status => studio.index_status()?,
        IndexCommand::Rebuild => {
            studio.rebuild_index()?;
            studio.build_index(&progress(as_json)).await?
        }
        IndexCommand::Update => studio.build_index(&progress(as_json)).await?,
        IndexCommand::Config { embedding_model, rerank_model, moderation } => {
            let current = studio.search_settings()?;
            let saved = studio.save_search_settings(SearchSettings {
                embedding_model: embedding_model.or(current.embedding_model),
                rerank_model: rerank_model.or(current.rerank_model),
                moderation: moderation.map_or(current.moderation, |m| matches!(m, OnOff::On)),
                moderation_model: current.moderation_model,
            })?;
            if as_json {
                println!("{}", serde_json::to_string_pretty(&saved)?);
            } else {
                println!("embedding model:  {}", saved.embedding_model.as_deref().unwrap_or("(none: search by words only)"));
                println!("rerank model:     {}", saved.rerank_model.as_deref().unwrap_or("(none)"));
                println!("moderation check: {}", if saved.moderation { "on" } else { "off" });
            }
            return Ok(());
        }
    };
    print_status(&status, as_json)
}

fn progress(as_json: bool) -> IndexSink {
    let show = !as_json && std::io::stderr().is_terminal();
    Arc::new(move |s: &IndexStatus| {
        if show && s.building {
            eprint!("\rindexed {}, {} to go   ", s.indexed, s.pending);
        }
    })
}

fn print_status(s: &IndexStatus, as_json: bool) -> Result<(), Error> {
    if as_json {
        println!("{}", serde_json::to_string_pretty(s)?);
        return Ok(());
    }
    if std::io::stderr().is_terminal() {
        eprint!("\r");
    }
    println!("model:    {}", s.model.as_deref().unwrap_or("(none: search by words only)"));
    if let Some(dims) = s.dims {
        println!("vectors:  {dims} dimensions");
    }
    println!("indexed:  {}", s.indexed);
    println!("pending:  {}", s.pending);
    if let Some(e) = &s.error {
        println!("stopped:  {e}");
    }
    Ok(())
}

/// `--send-anyway`: checks the prompt now, and if the check flags it, says so with the
/// categories and lets it through its one send.
pub async fn send_anyway(studio: &Studio, prompt: &str) -> Result<(), Error> {
    let Some(verdict) = studio.check_prompt(prompt).await? else { return Ok(()) };
    if verdict.flagged {
        let named: Vec<String> =
            verdict.categories.iter().filter(|c| c.flagged).map(|c| format!("{} {:.2}", c.name, c.score)).collect();
        eprintln!("note: the moderation check flagged this prompt ({}); sending it anyway", named.join(", "));
        studio.send_anyway(prompt);
    }
    Ok(())
}
