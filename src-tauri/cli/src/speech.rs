//! `nexhina speak` and `nexhina transcribe`: the app's speech use cases from a shell.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, ValueEnum};
use nexhina_core::media::audio::AudioPlayer;
use nexhina_core::types::{GenerationEvent, SpeechRequest, TranscriptFormat, TranscriptionRequest};
use nexhina_core::{Error, PartSink, Studio};

#[derive(Args)]
pub struct SpeakArgs {
    /// Text-to-speech model
    #[arg(long, default_value = "tts-1")]
    model: String,
    #[arg(long, default_value = "alloy")]
    voice: String,
    #[arg(long, value_enum, default_value_t = AudioFormat::Mp3)]
    format: AudioFormat,
    /// 0.25 to 4
    #[arg(long)]
    speed: Option<f32>,
    /// Play the clip through the sound output as it arrives
    #[arg(long)]
    play: bool,
    /// Also save the whole clip as this file
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// What to say
    #[arg(required = true, num_args = 1.., value_name = "TEXT")]
    pub(crate) text: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum AudioFormat {
    Mp3,
    Wav,
    Opus,
    Flac,
    Aac,
    Pcm,
}

#[derive(Args)]
pub struct TranscribeArgs {
    /// Speech-to-text model
    #[arg(long, default_value = "whisper-1")]
    model: String,
    /// Translate the speech into English instead
    #[arg(long)]
    translate: bool,
    /// The spoken language (ISO-639-1), as a hint
    #[arg(long)]
    language: Option<String>,
    /// Words or style to expect
    #[arg(long)]
    prompt: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// An audio file: flac, mp3, mp4, m4a, ogg, wav or webm, up to 25 MB
    file: PathBuf,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    #[value(name = "verbose_json")]
    VerboseJson,
    Srt,
    Vtt,
}

pub async fn speak(studio: &Arc<Studio>, args: SpeakArgs, as_json: bool) -> Result<(), Error> {
    let format = args.format.to_possible_value().map(|v| v.get_name().to_string());
    let request = SpeechRequest { model: args.model, text: args.text.join(" "), voice: args.voice, format, speed: args.speed, instructions: None };
    let player = args.play.then(|| Arc::new(AudioPlayer::new(Arc::new(|_| {}))));
    let play_error: Arc<std::sync::Mutex<Option<Error>>> = Arc::default();
    let on_part: Option<PartSink> = player.clone().map(|player| {
        let play_error = play_error.clone();
        Arc::new(move |clip: i64, index: usize, path: PathBuf| {
            let result = if index == 0 { player.play(clip, vec![path]) } else { player.append(clip, path) };
            if let Err(e) = result {
                play_error.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(e);
            }
        }) as PartSink
    });
    let quiet = as_json;
    let (_, task) = studio.speak(
        request,
        Arc::new(move |event| {
            if let (false, GenerationEvent::Progress { progress, .. }) = (quiet, event) {
                eprint!("\rsynthesizing {progress:>3}%");
            }
        }),
        on_part,
    )?;
    let clip = task.await?;
    if !quiet {
        eprintln!();
    }
    let saved = match (&args.out, clip.outputs.len()) {
        (Some(out), _) => studio.export_speech(clip.id, Some(out))?,
        (None, 1) => PathBuf::from(&clip.outputs[0].path),
        (None, _) => studio.export_speech(clip.id, None)?,
    };
    if as_json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({ "id": clip.id, "path": saved, "parts": clip.outputs }))?);
    } else {
        println!("{}", saved.display());
    }
    if let Some(player) = player {
        if let Some(e) = play_error.lock().unwrap_or_else(|p| p.into_inner()).take() {
            return Err(e);
        }
        // The last parts may still be queued: wait for the player to finish them.
        while player.state().playing {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    Ok(())
}

pub async fn transcribe(studio: &Arc<Studio>, args: TranscribeArgs, as_json: bool) -> Result<(), Error> {
    let asset = studio.attach_audio_file(&args.file)?;
    let format = match args.format {
        Format::Text => TranscriptFormat::Text,
        Format::Json => TranscriptFormat::Json,
        Format::VerboseJson => TranscriptFormat::Verbose,
        Format::Srt => TranscriptFormat::Srt,
        Format::Vtt => TranscriptFormat::Vtt,
    };
    let transcript = studio
        .transcribe(TranscriptionRequest {
            asset_id: asset.id,
            model: Some(args.model),
            language: args.language,
            prompt: args.prompt,
            format,
            translate: args.translate,
        })
        .await?;
    if as_json {
        println!("{}", serde_json::to_string_pretty(&transcript)?);
        return Ok(());
    }
    // As the platform gave it when it was text or subtitles; otherwise rendered locally.
    match (&transcript.raw, format) {
        (Some(raw), _) => print!("{}{}", raw, if raw.ends_with('\n') { "" } else { "\n" }),
        (None, TranscriptFormat::Text) => println!("{}", transcript.text),
        (None, format) => print!("{}", nexhina_core::studio::render_transcript(&transcript, format)?.0),
    }
    Ok(())
}
