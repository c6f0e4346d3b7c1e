//! What the CLI prints: tables for people, JSON with `--json`.

use nexhina_core::types::{AppInfo, KeySource, ModelInfo, ModelKind, ProfileView};
use nexhina_core::Error;
use serde_json::json;

fn print_json(value: &serde_json::Value) -> Result<(), Error> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub fn models(models: &[ModelInfo], as_json: bool) -> Result<(), Error> {
    if as_json {
        return print_json(&serde_json::to_value(models)?);
    }
    for kind in ModelKind::ALL {
        let of_kind: Vec<&ModelInfo> = models.iter().filter(|m| m.kind == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        println!("{} ({})", kind.as_str(), of_kind.len());
        for m in of_kind {
            match &m.owned_by {
                Some(owner) => println!("  {:<40} {owner}", m.id),
                None => println!("  {}", m.id),
            }
        }
    }
    Ok(())
}

pub fn profile(view: &ProfileView, info: &AppInfo, as_json: bool) -> Result<(), Error> {
    if as_json {
        return print_json(&json!({ "profile": view, "data_dir": info.data_dir, "keychain": info.keychain }));
    }
    let base = if view.base_url.is_empty() { "(not set)" } else { view.base_url.as_str() };
    println!("base URL:  {base}");
    let key = match (view.key_source, &view.key_hint) {
        (KeySource::None, _) => "(not set)".to_string(),
        (source, Some(hint)) => format!("{hint} (from {})", source_name(source)),
        (source, None) => format!("from {}", source_name(source)),
    };
    println!("API key:   {key}");
    println!("data dir:  {}", info.data_dir);
    if let Some(message) = &info.keychain.message {
        println!("keychain:  {message}");
    }
    Ok(())
}

fn source_name(source: KeySource) -> &'static str {
    match source {
        KeySource::Keychain => "the OS keychain",
        KeySource::Environment => "--api-key / NEXHINA_API_KEY",
        KeySource::Memory => "this session",
        KeySource::Demo => "the demo platform",
        KeySource::None => "nowhere",
    }
}
