//! `nexhina`: the command line over the same core as the desktop app. Each subcommand
//! parses, calls one studio function, and prints.

mod account;
mod chat;
mod data;
mod images;
mod output;
mod search;
mod speech;
mod video;

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use nexhina_core::secrets::KeyStore;
use nexhina_core::types::{KeyStorage, ProfileInput};
use nexhina_core::{paths, Error, Studio, StudioOptions};

#[derive(Parser)]
#[command(name = "nexhina", version, about = "Nexhina Studio from the command line")]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Global {
    /// Platform base URL for this run (https://host or https://host/v1)
    #[arg(long, global = true, env = "NEXHINA_BASE_URL")]
    base_url: Option<String>,
    /// API key for this run; otherwise the keychain's key for the base URL
    #[arg(long, global = true, env = "NEXHINA_API_KEY", hide_env_values = true)]
    api_key: Option<String>,
    /// Library folder (default: $XDG_DATA_HOME/nexhina-studio)
    #[arg(long, global = true, env = "NEXHINA_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Machine-readable output
    #[arg(long, global = true)]
    json: bool,
    /// With the moderation check on: send a prompt it flags all the same (the flagged
    /// categories are printed first)
    #[arg(long, global = true)]
    send_anyway: bool,
}

#[derive(Subcommand)]
enum Command {
    /// List the platform's models, grouped by kind
    Models,
    /// Show or change the saved platform and key
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Send a message and stream the reply; stored exactly as the app stores it
    Chat(chat::ChatArgs),
    /// Browse and search stored conversations
    #[command(subcommand)]
    History(chat::HistoryCommand),
    /// Generate (or edit) images; prints the saved files' paths
    Image(images::ImageArgs),
    /// Browse the gallery and export labelled copies
    #[command(subcommand)]
    Gallery(images::GalleryCommand),
    /// Generate a video (a job the app can resume); prints the saved file's path
    Video(video::VideoArgs),
    /// List video jobs, or follow unfinished ones to the end (`jobs resume`)
    Jobs(video::JobsArgs),
    /// Turn text into speech; prints the saved file's path
    Speak(speech::SpeakArgs),
    /// Turn speech into text (or translate it into English); prints the transcript
    Transcribe(speech::TranscribeArgs),
    /// Search everything (conversations, prompts, transcripts) by words and by meaning
    Search(search::SearchArgs),
    /// The index behind search by meaning: status, rebuild, update, config
    #[command(subcommand)]
    Index(search::IndexCommand),
    /// The key's balance and recent calls; with the console's access token, the account's
    Account(account::AccountArgs),
    /// The account's API keys: list, create, enable, disable, delete, reveal, use
    Keys(account::KeysArgs),
    /// Redeem a top-up code
    Redeem(account::RedeemArgs),
    /// Export the library (or a part) to a folder or a .zip (docs/EXPORT_FORMAT.md)
    Export(data::ExportArgs),
    /// Import an export; nothing already here is added twice
    Import { path: PathBuf },
    /// Erase everything, one conversation or one item
    Erase(data::EraseArgs),
    /// Delete what the retention settings say has expired, and unused files
    Purge,
    /// List, make or restore copies of the library
    #[command(subcommand)]
    Backup(data::BackupCommand),
    /// Tokens, images and seconds of video and audio, per model and day, from local records
    Usage(data::UsageArgs),
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Show the platform in use and where its key comes from
    Show,
    /// Save the platform's base URL and make it the active one
    SetBaseUrl { url: String },
    /// Store the API key for the active platform in the OS keychain (read from standard input)
    SetKey,
    /// Remove the active platform's key from the keychain
    ForgetKey,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return fail(&Error::Internal(e.to_string())),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(e: &Error) -> ExitCode {
    eprintln!("error: {e}");
    if let Some(id) = e.request_id() {
        eprintln!("request id: {id}");
    }
    ExitCode::FAILURE
}

async fn run(cli: Cli) -> Result<(), Error> {
    let Global { base_url, api_key, data_dir, json, send_anyway } = cli.global;
    // A key given for this run is used as is and never stored; `config set-key` stores one.
    let keys = KeyStore::new(nexhina_core::secrets::KEYCHAIN_SERVICE, None);
    let options = StudioOptions {
        data_dir: paths::data_dir(data_dir)?,
        base_url_override: base_url,
        api_key_override: api_key,
        ..StudioOptions::default()
    };
    let studio = std::sync::Arc::new(Studio::open(options, keys)?);
    if let Some(prompt) = cli.command.prompt().filter(|_| send_anyway) {
        search::send_anyway(&studio, &prompt).await?;
    }
    match cli.command {
        Command::Account(args) => account::account(&studio, args, json).await,
        Command::Keys(args) => account::keys(&studio, args, json).await,
        Command::Redeem(args) => account::redeem(&studio, args, json).await,
        Command::Chat(args) => chat::chat(&studio, args, json).await,
        Command::History(command) => chat::history(&studio, command, json),
        Command::Image(args) => images::image(&studio, args, json).await,
        Command::Gallery(command) => images::gallery(&studio, command, json),
        Command::Video(args) => video::video(&studio, args, json).await,
        Command::Jobs(args) => video::jobs(&studio, args, json).await,
        Command::Speak(args) => speech::speak(&studio, args, json).await,
        Command::Transcribe(args) => speech::transcribe(&studio, args, json).await,
        Command::Search(args) => search::search(&studio, args, json).await,
        Command::Index(command) => search::index(&studio, command, json).await,
        Command::Export(args) => data::export(&studio, args, json).await,
        Command::Import { path } => data::import(&studio, path, json).await,
        Command::Erase(args) => data::erase(&studio, args, json),
        Command::Purge => data::purge(&studio, json),
        Command::Backup(command) => data::backup(&studio, command, json),
        Command::Usage(args) => data::usage(&studio, args, json),
        Command::Models => output::models(&studio.list_models().await?, json),
        Command::Config(ConfigCommand::Show) => output::profile(&studio.profile_view()?, &studio.app_info()?, json),
        Command::Config(ConfigCommand::SetBaseUrl { url }) => {
            let view = studio.save_profile(ProfileInput { base_url: url, api_key: None, key_storage: KeyStorage::Keychain })?;
            output::profile(&view, &studio.app_info()?, json)
        }
        Command::Config(ConfigCommand::SetKey) => {
            let current = studio.profile_view()?;
            if current.base_url.is_empty() {
                return Err(Error::NotConfigured);
            }
            let key = read_key()?;
            let view = studio.save_profile(ProfileInput {
                base_url: current.base_url,
                api_key: Some(key),
                key_storage: KeyStorage::Keychain,
            })?;
            output::profile(&view, &studio.app_info()?, json)
        }
        Command::Config(ConfigCommand::ForgetKey) => {
            studio.forget_key()?;
            output::profile(&studio.profile_view()?, &studio.app_info()?, json)
        }
    }
}

impl Command {
    /// The text a command sends to a model, which the moderation check reads.
    fn prompt(&self) -> Option<String> {
        match self {
            Command::Chat(args) => Some(args.prompt.join(" ")),
            Command::Image(args) => Some(args.prompt.join(" ")),
            Command::Video(args) => Some(args.prompt.join(" ")),
            Command::Speak(args) => Some(args.text.join(" ")),
            _ => None,
        }
    }
}

/// One line from standard input, so the key never appears in the shell's history.
fn read_key() -> Result<String, Error> {
    if std::io::stdin().is_terminal() {
        eprintln!("Paste the API key and press Enter:");
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| Error::Internal(format!("could not read the key: {e}")))?;
    let key = line.trim().to_string();
    if key.is_empty() {
        return Err(Error::MissingKey);
    }
    Ok(key)
}
