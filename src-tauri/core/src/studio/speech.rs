//! Speech both ways. Text-to-speech: long text is cut at sentence ends and synthesized part
//! by part, each part stored by hash as soon as it arrives so playback can begin before the
//! rest is ready. Speech-to-text and translation: the audio is kept on the device first,
//! and the transcript (with its timings when the format has them) is stored with it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine;
use serde_json::{json, Value};

use super::read_aloud::{speakable_text, split_for_speech};
use super::{GenerationSink, GenerationTask, Studio};
use crate::error::{Error, Result};
use crate::library::generations::NewGeneration;
use crate::media::{audio, Origin};
use crate::platform::audio::{self as platform_audio, SpeechCall, TranscribeCall, MAX_SPEECH_CHARS};
use crate::types::{
    AssetView, GalleryItem, GenerationEvent, GenerationKind, GenerationStatus, SpeechRequest, Transcript, TranscriptFormat,
    TranscriptSegment, TranscriptionRequest,
};

/// Told of each part of a clip as soon as it is stored: (clip id, part index, file).
pub type PartSink = Arc<dyn Fn(i64, usize, PathBuf) + Send + Sync>;

/// The first part is short so the voice starts within a second or two.
const FIRST_PART_CHARS: usize = 240;
/// A whole text is capped so a paste of a book does not run up a bill unnoticed.
pub const MAX_SPEAK_CHARS: usize = 100_000;
const FORMATS: [&str; 6] = ["mp3", "wav", "flac", "aac", "opus", "pcm"];

impl Studio {
    /// Records the clip (its card shows at once) and returns the task that synthesizes it.
    pub fn speak(self: &Arc<Self>, request: SpeechRequest, sink: GenerationSink, on_part: Option<PartSink>) -> Result<(GalleryItem, GenerationTask)> {
        let text = request.text.trim();
        if text.is_empty() {
            return Err(Error::InvalidInput("Type something to speak first.".into()));
        }
        if text.chars().count() > MAX_SPEAK_CHARS {
            return Err(Error::InvalidInput(format!("The text is longer than {MAX_SPEAK_CHARS} characters; speak it in parts.")));
        }
        if request.model.trim().is_empty() {
            return Err(Error::InvalidInput("Choose a text-to-speech model first.".into()));
        }
        if request.voice.trim().is_empty() {
            return Err(Error::InvalidInput("Choose a voice first.".into()));
        }
        let format = request.format.as_deref().unwrap_or("mp3").to_ascii_lowercase();
        if !FORMATS.contains(&format.as_str()) {
            return Err(Error::InvalidInput(format!("Unknown audio format \"{format}\": use one of {}.", FORMATS.join(", "))));
        }
        if let Some(speed) = request.speed {
            if !(0.25..=4.0).contains(&speed) {
                return Err(Error::InvalidInput("The speed must be between 0.25 and 4.".into()));
            }
        }
        let parts = split_for_speech(text, FIRST_PART_CHARS, MAX_SPEECH_CHARS);
        let params = json!({ "voice": request.voice.trim(), "format": format, "speed": request.speed, "instructions": request.instructions, "parts": parts.len() });
        let id = self.library.insert_generation(&NewGeneration {
            profile_id: self.profile_id().ok(),
            kind: GenerationKind::Speech,
            model: request.model.trim(),
            prompt: text,
            params: &params,
            parent_generation_id: None,
            inputs: &[],
        })?;
        let card = self.library.gallery_item(id)?;
        let studio = self.clone();
        let task = Box::pin(async move {
            sink(GenerationEvent::Progress { id, status: GenerationStatus::Running, progress: 0 });
            let result = studio.run_speech(id, &request, &format, &parts, &sink, on_part.as_ref()).await;
            match &result {
                Ok(_) => sink(GenerationEvent::Finished { id, status: GenerationStatus::Complete, error: None, code: None }),
                Err(e) => {
                    let message = e.to_string();
                    let _ = studio.library.fail_generation(id, GenerationStatus::Failed, Some(&message));
                    sink(GenerationEvent::Finished { id, status: GenerationStatus::Failed, error: Some(message), code: Some(e.code().into()) });
                }
            }
            result
        });
        Ok((card, task))
    }

    async fn run_speech(
        &self,
        id: i64,
        request: &SpeechRequest,
        format: &str,
        parts: &[String],
        sink: &GenerationSink,
        on_part: Option<&PartSink>,
    ) -> Result<crate::types::GenerationView> {
        let (client, _) = self.connect()?;
        self.screen(&request.text).await?;
        let mut outputs = Vec::with_capacity(parts.len());
        for (index, part) in parts.iter().enumerate() {
            let call = SpeechCall {
                model: request.model.trim(),
                input: part,
                voice: request.voice.trim(),
                format,
                speed: request.speed,
                instructions: request.instructions.as_deref(),
            };
            let bytes = platform_audio::speech(&client, &call).await?;
            let asset = self.store_spoken(&bytes, format)?;
            outputs.push(asset.id);
            // Each stored part is kept even if a later one fails.
            self.library.add_generation_output(id, index, asset.id)?;
            if let Some(on_part) = on_part {
                on_part(id, index, self.playable_path(&asset)?);
            }
            let progress = (((index + 1) * 100) / parts.len()).min(99) as u8;
            self.library.set_generation_progress(id, GenerationStatus::Running, progress, None)?;
            sink(GenerationEvent::Progress { id, status: GenerationStatus::Running, progress });
        }
        self.library.complete_generation(id, &outputs, None, None)?;
        self.index_soon();
        self.library.generation(id)
    }

    /// Checks what the platform sent is audio and stores it. Raw `pcm` (24 kHz, 16-bit mono
    /// by the OpenAI spec) gets a WAV header so it can be played and exported.
    fn store_spoken(&self, bytes: &[u8], format: &str) -> Result<AssetView> {
        if format == "pcm" {
            let wav = pcm_to_wav(bytes, 24_000)?;
            return self.library.store_audio(&wav, "audio/wav", Origin::Generated, None);
        }
        let mime = audio::sniff_audio(bytes).ok_or_else(|| {
            let preview: String = String::from_utf8_lossy(&bytes[..bytes.len().min(40)]).chars().filter(|c| !c.is_control()).collect();
            Error::InvalidResponse(format!("the platform sent something that is not audio (it starts with \"{preview}\")"))
        })?;
        self.library.store_audio(bytes, mime, Origin::Generated, None)
    }

    /// A file the native player can decode: the stored one, or (for Opus, which the pure-Rust
    /// decoders do not read) a WAV copy made once with ffmpeg.
    fn playable_path(&self, asset: &AssetView) -> Result<PathBuf> {
        audio::playable_copy(Path::new(&asset.path), &self.library.media_root().join("cache"))
    }

    /// The files of a speech clip, in order, ready for the player.
    pub fn clip_files(&self, id: i64) -> Result<Vec<PathBuf>> {
        let clip = self.library.generation(id)?;
        if clip.kind != GenerationKind::Speech {
            return Err(Error::InvalidInput("Only speech clips can be played here.".into()));
        }
        if clip.outputs.is_empty() {
            return Err(Error::InvalidInput("This clip has no audio yet.".into()));
        }
        clip.outputs.iter().map(|a| self.playable_path(a)).collect()
    }

    /// Speaks a chat reply: its prose only (no code, markup or URLs).
    pub fn speak_message(self: &Arc<Self>, message_id: i64, model: &str, voice: &str, sink: GenerationSink, on_part: Option<PartSink>) -> Result<(GalleryItem, GenerationTask)> {
        let message = self.library.message(message_id)?;
        let text = speakable_text(&message.content);
        if text.is_empty() {
            return Err(Error::InvalidInput("This message has nothing to read aloud (only code or links).".into()));
        }
        self.speak(SpeechRequest { model: model.into(), text, voice: voice.into(), format: Some("mp3".into()), speed: None, instructions: None }, sink, on_part)
    }

    /// Saves a clip as one file: as stored when it is one part; joined otherwise (MP3 frames
    /// concatenate; other formats are decoded and written as WAV).
    pub fn export_speech(&self, id: i64, out: Option<&Path>) -> Result<PathBuf> {
        let clip = self.library.generation(id)?;
        if clip.kind != GenerationKind::Speech || clip.outputs.is_empty() {
            return Err(Error::InvalidInput("This is not a finished speech clip.".into()));
        }
        let all_mp3 = clip.outputs.iter().all(|a| a.mime == "audio/mpeg");
        let extension = if clip.outputs.len() == 1 || all_mp3 { crate::media::extension(&clip.outputs[0].mime) } else { "wav" };
        let target = super::conversations::export_path(out, &clip.prompt, extension)?;
        if clip.outputs.len() == 1 || all_mp3 {
            let mut bytes = Vec::new();
            for asset in &clip.outputs {
                bytes.extend(self.library.read_asset(asset)?);
            }
            std::fs::write(&target, bytes).map_err(|e| Error::Storage(format!("cannot write {}: {e}", target.display())))?;
        } else {
            let files: Vec<PathBuf> = clip.outputs.iter().map(|a| self.playable_path(a)).collect::<Result<_>>()?;
            audio::write_wav(&files, &target)?;
        }
        Ok(target)
    }

    /// Keeps an audio file on the device (checked to be audio and under the limit).
    pub fn attach_audio_file(&self, path: &Path) -> Result<AssetView> {
        self.library.import_audio_file(path)
    }

    /// Keeps a recording or a dropped file that came as bytes.
    pub fn attach_audio_bytes(&self, name: Option<&str>, data_base64: &str) -> Result<AssetView> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data_base64.trim())
            .map_err(|_| Error::InvalidInput("the audio could not be read".into()))?;
        self.attach_audio(&bytes, name)
    }

    /// Keeps audio bytes (a microphone recording, or a file) by hash, after checking them.
    pub fn attach_audio(&self, bytes: &[u8], name: Option<&str>) -> Result<AssetView> {
        if bytes.len() as u64 > audio::MAX_AUDIO_BYTES {
            return Err(Error::InvalidInput(format!(
                "the audio is {:.1} MB; the platform takes audio up to {} MB",
                bytes.len() as f64 / 1_048_576.0,
                audio::MAX_AUDIO_BYTES / 1_048_576
            )));
        }
        let mime = audio::sniff_audio(bytes).ok_or_else(|| {
            Error::InvalidInput("this file is not audio the platform can read (flac, mp3, mp4, m4a, ogg, wav or webm)".into())
        })?;
        self.library.store_audio(bytes, mime, Origin::Uploaded, name)
    }

    /// Transcribes (or translates into English) a stored audio file and keeps the result.
    pub async fn transcribe(&self, request: TranscriptionRequest) -> Result<Transcript> {
        let asset = self.library.asset(request.asset_id)?;
        if !asset.mime.starts_with("audio/") && asset.mime != "video/mp4" && asset.mime != "video/webm" {
            return Err(Error::InvalidInput("Only audio can be transcribed.".into()));
        }
        let model = request.model.as_deref().map(str::trim).filter(|m| !m.is_empty()).unwrap_or("whisper-1").to_string();
        let kind = if request.translate { GenerationKind::Translation } else { GenerationKind::Transcription };
        let title = asset.original_name.clone().unwrap_or_else(|| "Recording".into());
        let id = self.library.insert_generation(&NewGeneration {
            profile_id: self.profile_id().ok(),
            kind,
            model: &model,
            prompt: &title,
            params: &serde_json::to_value(&request).unwrap_or_default(),
            parent_generation_id: None,
            inputs: &[("input", asset.id)],
        })?;
        match self.run_transcription(id, &asset, &model, &request).await {
            Ok(transcript) => Ok(transcript),
            Err(e) => {
                let _ = self.library.fail_generation(id, GenerationStatus::Failed, Some(&e.to_string()));
                Err(e)
            }
        }
    }

    async fn run_transcription(&self, id: i64, asset: &AssetView, model: &str, request: &TranscriptionRequest) -> Result<Transcript> {
        let (client, _) = self.connect()?;
        let bytes = self.library.read_asset(asset)?;
        let file_name = asset
            .original_name
            .clone()
            .unwrap_or_else(|| format!("{}.{}", &asset.sha256[..12], crate::media::extension(&asset.mime)));
        let answer = platform_audio::transcribe(
            &client,
            &TranscribeCall {
                translate: request.translate,
                model,
                file_name: &file_name,
                mime: &asset.mime,
                bytes: &bytes,
                language: request.language.as_deref(),
                prompt: request.prompt.as_deref(),
                response_format: wire_format(request.format),
            },
        )
        .await?;
        let mut transcript = parse_transcript(&answer, request.format)?;
        transcript.generation_id = id;
        let stored = serde_json::to_string(&transcript).map_err(|e| Error::Internal(e.to_string()))?;
        self.library.complete_generation(id, &[], None, Some(&stored))?;
        self.index_soon();
        Ok(transcript)
    }

    /// A stored transcript, as it was returned.
    pub fn transcript(&self, id: i64) -> Result<Transcript> {
        let stored = self.library.generation_result(id)?.ok_or_else(|| Error::NotFound(format!("transcript {id}")))?;
        serde_json::from_str(&stored).map_err(|e| Error::Internal(format!("the stored transcript cannot be read: {e}")))
    }

    /// Writes a transcript as text, JSON, or subtitles (SRT/VTT need timings).
    pub fn export_transcript(&self, id: i64, format: TranscriptFormat, out: Option<&Path>) -> Result<PathBuf> {
        let transcript = self.transcript(id)?;
        let (body, extension) = render_transcript(&transcript, format)?;
        let title = self.library.generation(id)?.prompt;
        let target = super::conversations::export_path(out, &title, extension)?;
        std::fs::write(&target, body).map_err(|e| Error::Storage(format!("cannot write {}: {e}", target.display())))?;
        Ok(target)
    }
}

fn wire_format(format: TranscriptFormat) -> &'static str {
    match format {
        TranscriptFormat::Json => "json",
        TranscriptFormat::Text => "text",
        TranscriptFormat::Srt => "srt",
        TranscriptFormat::Vtt => "vtt",
        TranscriptFormat::Verbose => "verbose_json",
    }
}

/// Reads the platform's answer in the format asked for. Gateways differ: some answer JSON
/// whatever was asked, so JSON is tried first for every format.
pub fn parse_transcript(answer: &str, format: TranscriptFormat) -> Result<Transcript> {
    let mut transcript = Transcript { generation_id: 0, text: String::new(), language: None, duration: None, segments: Vec::new(), raw: None };
    if let Ok(value) = serde_json::from_str::<Value>(answer.trim()) {
        if let Some(text) = value.get("text").and_then(Value::as_str) {
            transcript.text = text.trim().to_string();
            transcript.language = value.get("language").and_then(Value::as_str).map(str::to_string);
            transcript.duration = value.get("duration").and_then(|d| d.as_f64().or_else(|| d.as_str().and_then(|s| s.parse().ok())));
            if let Some(segments) = value.get("segments").and_then(Value::as_array) {
                transcript.segments = segments
                    .iter()
                    .filter_map(|s| {
                        Some(TranscriptSegment {
                            start: s.get("start")?.as_f64()?,
                            end: s.get("end")?.as_f64()?,
                            text: s.get("text")?.as_str()?.trim().to_string(),
                        })
                    })
                    .collect();
            }
            return Ok(transcript);
        }
        if matches!(format, TranscriptFormat::Json | TranscriptFormat::Verbose) {
            return Err(Error::InvalidResponse("the platform's transcript has no text".into()));
        }
    }
    match format {
        TranscriptFormat::Srt | TranscriptFormat::Vtt => {
            transcript.segments = parse_cues(answer);
            transcript.text = transcript.segments.iter().map(|s| s.text.as_str()).collect::<Vec<_>>().join(" ");
            transcript.duration = transcript.segments.last().map(|s| s.end);
            transcript.raw = Some(answer.to_string());
        }
        TranscriptFormat::Text => {
            transcript.text = answer.trim().to_string();
            transcript.raw = Some(answer.to_string());
        }
        _ => return Err(Error::InvalidResponse("the platform's transcript is not JSON".into())),
    }
    Ok(transcript)
}

/// Cues of an SRT or WebVTT file: a time line `a --> b`, then text lines up to a blank line.
fn parse_cues(subtitles: &str) -> Vec<TranscriptSegment> {
    let mut segments = Vec::new();
    let mut lines = subtitles.lines().map(str::trim).peekable();
    while let Some(line) = lines.next() {
        let Some((start, end)) = line.split_once("-->") else { continue };
        let (Some(start), Some(end)) = (parse_time(start), parse_time(end.split_whitespace().next().unwrap_or(""))) else { continue };
        let mut text = Vec::new();
        while let Some(next) = lines.peek() {
            if next.is_empty() {
                break;
            }
            text.push(*next);
            lines.next();
        }
        segments.push(TranscriptSegment { start, end, text: text.join(" ") });
    }
    segments
}

/// `HH:MM:SS,mmm`, `HH:MM:SS.mmm` or `MM:SS.mmm`, in seconds.
fn parse_time(text: &str) -> Option<f64> {
    let text = text.trim().replace(',', ".");
    let fields: Vec<&str> = text.split(':').collect();
    let (h, m, s) = match fields.as_slice() {
        [h, m, s] => (h.parse::<f64>().ok()?, m.parse::<f64>().ok()?, s.parse::<f64>().ok()?),
        [m, s] => (0.0, m.parse::<f64>().ok()?, s.parse::<f64>().ok()?),
        _ => return None,
    };
    Some(h * 3600.0 + m * 60.0 + s)
}

fn timestamp(seconds: f64, separator: char) -> String {
    let ms = (seconds.max(0.0) * 1000.0).round() as u64;
    format!("{:02}:{:02}:{:02}{separator}{:03}", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

/// A transcript as a file's contents and extension.
pub fn render_transcript(t: &Transcript, format: TranscriptFormat) -> Result<(String, &'static str)> {
    let need_timings = || Error::InvalidInput("This transcript has no timings. Transcribe with the SRT, VTT or verbose format to get subtitles.".into());
    Ok(match format {
        TranscriptFormat::Text => (format!("{}\n", t.text), "txt"),
        TranscriptFormat::Json | TranscriptFormat::Verbose => {
            let value = json!({ "text": t.text, "language": t.language, "duration": t.duration, "segments": t.segments });
            (serde_json::to_string_pretty(&value).unwrap_or_default(), "json")
        }
        TranscriptFormat::Srt => {
            if t.segments.is_empty() {
                return Err(need_timings());
            }
            let cues: Vec<String> = t
                .segments
                .iter()
                .enumerate()
                .map(|(i, s)| format!("{}\n{} --> {}\n{}\n", i + 1, timestamp(s.start, ','), timestamp(s.end, ','), s.text))
                .collect();
            (cues.join("\n"), "srt")
        }
        TranscriptFormat::Vtt => {
            if t.segments.is_empty() {
                return Err(need_timings());
            }
            let cues: Vec<String> =
                t.segments.iter().map(|s| format!("{} --> {}\n{}\n", timestamp(s.start, '.'), timestamp(s.end, '.'), s.text)).collect();
            (format!("WEBVTT\n\n{}", cues.join("\n")), "vtt")
        }
    })
}

/// Raw 16-bit little-endian mono samples wrapped as a WAV file.
fn pcm_to_wav(pcm: &[u8], rate: u32) -> Result<Vec<u8>> {
    if pcm.len() < 2 {
        return Err(Error::InvalidResponse("the platform answered with no audio".into()));
    }
    let spec = hound::WavSpec { channels: 1, sample_rate: rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut out = std::io::Cursor::new(Vec::with_capacity(pcm.len() + 44));
    let mut writer = hound::WavWriter::new(&mut out, spec).map_err(|e| Error::Internal(e.to_string()))?;
    for pair in pcm.chunks_exact(2) {
        writer.write_sample(i16::from_le_bytes([pair[0], pair[1]])).map_err(|e| Error::Internal(e.to_string()))?;
    }
    writer.finalize().map_err(|e| Error::Internal(e.to_string()))?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_transcript_format_is_read() {
        let json = parse_transcript(r#"{"text":" Hello there. "}"#, TranscriptFormat::Json).unwrap();
        assert_eq!(json.text, "Hello there.");
        let verbose = parse_transcript(
            r#"{"task":"transcribe","language":"english","duration":2.5,"text":"Hi. Bye.","segments":[{"id":0,"start":0.0,"end":1.2,"text":" Hi."},{"id":1,"start":1.2,"end":2.5,"text":" Bye."}]}"#,
            TranscriptFormat::Verbose,
        )
        .unwrap();
        assert_eq!((verbose.language.as_deref(), verbose.duration, verbose.segments.len()), (Some("english"), Some(2.5), 2));
        assert_eq!(verbose.segments[1].text, "Bye.");
        let srt = parse_transcript("1\n00:00:00,000 --> 00:00:01,200\nHi.\n\n2\n00:00:01,200 --> 00:00:02,500\nBye there.\nagain\n", TranscriptFormat::Srt).unwrap();
        assert_eq!(srt.segments.len(), 2);
        assert_eq!(srt.segments[1], TranscriptSegment { start: 1.2, end: 2.5, text: "Bye there. again".into() });
        assert_eq!(srt.text, "Hi. Bye there. again");
        let vtt = parse_transcript("WEBVTT\n\n00:01.000 --> 00:02.500 align:start\nHello\n", TranscriptFormat::Vtt).unwrap();
        assert_eq!(vtt.segments, vec![TranscriptSegment { start: 1.0, end: 2.5, text: "Hello".into() }]);
        let text = parse_transcript("Plain words.\n", TranscriptFormat::Text).unwrap();
        assert_eq!(text.text, "Plain words.");
        // A gateway that answers JSON whatever was asked for.
        assert_eq!(parse_transcript(r#"{"text":"x"}"#, TranscriptFormat::Srt).unwrap().text, "x");
        assert!(parse_transcript("not json", TranscriptFormat::Json).is_err());
    }

    #[test]
    fn subtitles_are_written_from_segments_and_read_back() {
        let t = Transcript {
            generation_id: 1,
            text: "Hi. Bye.".into(),
            language: None,
            duration: Some(3725.5),
            segments: vec![
                TranscriptSegment { start: 0.0, end: 1.25, text: "Hi.".into() },
                TranscriptSegment { start: 3600.0, end: 3725.5, text: "Bye.".into() },
            ],
            raw: None,
        };
        let (srt, ext) = render_transcript(&t, TranscriptFormat::Srt).unwrap();
        assert_eq!(ext, "srt");
        assert!(srt.starts_with("1\n00:00:00,000 --> 00:00:01,250\nHi.\n\n2\n01:00:00,000 --> 01:02:05,500\nBye.\n"), "{srt}");
        assert_eq!(parse_cues(&srt), t.segments);
        let (vtt, _) = render_transcript(&t, TranscriptFormat::Vtt).unwrap();
        assert!(vtt.starts_with("WEBVTT\n\n00:00:00.000 --> 00:00:01.250\nHi.\n"));
        assert_eq!(parse_cues(&vtt), t.segments);
        let untimed = Transcript { segments: vec![], ..t };
        assert_eq!(render_transcript(&untimed, TranscriptFormat::Srt).unwrap_err().code(), "invalid_input");
    }

    #[test]
    fn raw_pcm_becomes_a_playable_wav() {
        let pcm: Vec<u8> = (0..24_000i32).flat_map(|i| (((i % 100) * 300) as i16).to_le_bytes()).collect();
        let wav = pcm_to_wav(&pcm, 24_000).unwrap();
        assert_eq!(audio::sniff_audio(&wav), Some("audio/wav"));
        let reader = hound::WavReader::new(std::io::Cursor::new(wav)).unwrap();
        assert_eq!((reader.spec().sample_rate, reader.duration()), (24_000, 24_000));
    }
}
