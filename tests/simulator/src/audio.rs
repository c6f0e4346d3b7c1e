//! `POST /v1/audio/speech` (real recorded speech) and `/v1/audio/transcriptions`,
//! `/v1/audio/translations` (multipart in, the fixture's sentence out).

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::body::chunked_response;
use crate::form::Form;
use crate::gateway::{ok_json, Answer, Ctx};
use crate::media::{self, looks_like_audio, wav_samples, SPOKEN_SENTENCE};
use crate::state::Charge;

const MAX_INPUT_CHARS: usize = 4096;

/// The fixture for a `response_format`, with its Content-Type.
fn speech_fixture(format: &str) -> Option<(&'static [u8], &'static str)> {
    Some(match format {
        "mp3" => (media::SPEECH_MP3, "audio/mpeg"),
        "opus" => (media::SPEECH_OPUS, "audio/ogg"),
        "aac" => (media::SPEECH_AAC, "audio/aac"),
        "flac" => (media::SPEECH_FLAC, "audio/flac"),
        "wav" => (media::SPEECH_WAV, "audio/wav"),
        "pcm" => (media::speech_pcm(), "audio/pcm"),
        _ => return None,
    })
}

pub(crate) async fn speech(ctx: Ctx, body: Bytes) -> Answer {
    let request = ctx.json_body(&body)?;
    let model = ctx.known_model(request.get("model"))?;
    let input = match request.get("input").and_then(Value::as_str) {
        Some(s) if !s.trim().is_empty() => s,
        _ => return Err(ctx.invalid_request("field input is required")),
    };
    let length = input.chars().count();
    if length > MAX_INPUT_CHARS {
        return Err(ctx.upstream_error(
            400,
            Some("string_above_max_length"),
            "input",
            &format!("string too long. Expected a string with maximum length {MAX_INPUT_CHARS}, but got a string with length {length} instead."),
        ));
    }
    if request
        .get("voice")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(ctx.upstream_error(
            400,
            None,
            "voice",
            "voice is required: a string such as alloy, coral or nova",
        ));
    }
    let format = request
        .get("response_format")
        .and_then(Value::as_str)
        .unwrap_or("mp3");
    let Some((audio, content_type)) = speech_fixture(format) else {
        return Err(ctx.upstream_error(
            400,
            Some("invalid_value"),
            "response_format",
            &format!(
                "response_format must be one of mp3, opus, aac, flac, wav, pcm; got '{format}'"
            ),
        ));
    };
    if let Some(speed) = request.get("speed").filter(|s| !s.is_null()) {
        if !speed.as_f64().is_some_and(|s| (0.25..=4.0).contains(&s)) {
            return Err(ctx.upstream_error(
                400,
                Some("invalid_value"),
                "speed",
                "speed must be a number between 0.25 and 4.0",
            ));
        }
    }
    ctx.state.charge(Charge {
        model: &model,
        prompt_tokens: length as u64,
        completion_tokens: 0,
        quota: 15 * length as i64,
        stream: false,
    });
    // Real TTS streams its answer: several chunks, no Content-Length.
    Ok(chunked_response(
        content_type,
        Bytes::from_static(audio),
        6,
        Duration::from_millis(5),
    ))
}

pub(crate) async fn transcribe(ctx: Ctx, request: Request) -> Answer {
    speech_to_text(ctx, request, Task::Transcribe).await
}

pub(crate) async fn translate(ctx: Ctx, request: Request) -> Answer {
    speech_to_text(ctx, request, Task::Translate).await
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Task {
    Transcribe,
    Translate,
}

async fn speech_to_text(ctx: Ctx, request: Request, task: Task) -> Answer {
    let form = Form::read(request).await.map_err(|why| {
        ctx.upstream_error(400, None, "", &format!("invalid multipart form: {why}"))
    })?;
    let Some(file) = form.part("file").filter(|f| !f.data.is_empty()) else {
        return Err(ctx.upstream_error(
            400,
            None,
            "file",
            "file is required: send the audio as the multipart part `file`",
        ));
    };
    if !looks_like_audio(&file.data) {
        let name = file.file_name.as_deref().unwrap_or("upload");
        return Err(ctx.upstream_error(
            400,
            Some("invalid_file_format"),
            "file",
            &format!("Invalid file format for '{name}': the upload is not audio. Supported formats: flac, mp3, mp4, m4a, ogg, wav, webm"),
        ));
    }
    let model = match form.text("model") {
        Some(m) => ctx.check_model(crate::faults::strip_fault_suffix(&m).to_owned())?,
        None => "whisper-1".to_owned(),
    };
    let format = form
        .text("response_format")
        .unwrap_or_else(|| "json".to_owned());
    let duration =
        wav_samples(&file.data).map_or_else(media::speech_seconds, |(_, seconds)| seconds);
    let language = match task {
        Task::Translate => "english".to_owned(),
        Task::Transcribe => form
            .text("language")
            .map_or_else(|| "english".to_owned(), |l| language_name(&l)),
    };
    let want_words = form
        .texts("timestamp_granularities[]")
        .iter()
        .chain(form.texts("timestamp_granularities").iter())
        .any(|g| g == "word");
    ctx.state.charge(Charge {
        model: &model,
        prompt_tokens: 0,
        completion_tokens: 0,
        quota: (duration * 100.0).round() as i64,
        stream: false,
    });

    let segments = segments(duration);
    match format.as_str() {
        "json" => ok_json(&json!({"text": SPOKEN_SENTENCE})),
        "text" => Ok(plain(format!("{SPOKEN_SENTENCE}\n"))),
        "srt" => Ok(plain(srt(&segments))),
        "vtt" => Ok(plain(vtt(&segments))),
        "verbose_json" => {
            let task_name = if task == Task::Translate {
                "translate"
            } else {
                "transcribe"
            };
            let mut answer = json!({
                "task": task_name,
                "language": language,
                "duration": duration,
                "text": SPOKEN_SENTENCE,
                "segments": segments.iter().enumerate().map(|(id, s)| json!({
                    "id": id, "seek": 0, "start": s.start, "end": s.end, "text": s.text,
                    "tokens": [], "temperature": 0.0, "avg_logprob": -0.2,
                    "compression_ratio": 1.1, "no_speech_prob": 0.01,
                })).collect::<Vec<_>>(),
            });
            if want_words {
                answer["words"] = json!(words(duration));
            }
            ok_json(&answer)
        }
        other => Err(ctx.upstream_error(
            400,
            Some("invalid_value"),
            "response_format",
            &format!(
                "response_format must be one of json, text, srt, verbose_json, vtt; got '{other}'"
            ),
        )),
    }
}

fn plain(text: String) -> Response {
    (
        StatusCode::OK,
        [(CONTENT_TYPE, "text/plain; charset=utf-8")],
        text,
    )
        .into_response()
}

fn language_name(code: &str) -> String {
    match code {
        "en" => "english",
        "zh" => "chinese",
        "fr" => "french",
        "de" => "german",
        "es" => "spanish",
        "ja" => "japanese",
        other => other,
    }
    .to_owned()
}

struct Segment {
    start: f64,
    end: f64,
    text: String,
}

/// The sentence in two halves spread over the audio's duration.
fn segments(duration: f64) -> Vec<Segment> {
    let words: Vec<&str> = SPOKEN_SENTENCE.split_whitespace().collect();
    let middle = words.len().div_ceil(2);
    let half = (duration / 2.0 * 1000.0).round() / 1000.0;
    vec![
        Segment {
            start: 0.0,
            end: half,
            text: words[..middle].join(" "),
        },
        Segment {
            start: half,
            end: duration,
            text: words[middle..].join(" "),
        },
    ]
}

fn words(duration: f64) -> Vec<Value> {
    let words: Vec<&str> = SPOKEN_SENTENCE.split_whitespace().collect();
    let step = duration / words.len() as f64;
    words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let word = w.trim_matches(|c: char| !c.is_alphanumeric());
            json!({"word": word, "start": i as f64 * step, "end": (i + 1) as f64 * step})
        })
        .collect()
}

fn timestamp(seconds: f64, separator: char) -> String {
    let ms = (seconds * 1000.0).round() as u64;
    format!(
        "{:02}:{:02}:{:02}{separator}{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

fn srt(segments: &[Segment]) -> String {
    segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            format!(
                "{}\n{} --> {}\n{}\n\n",
                i + 1,
                timestamp(s.start, ','),
                timestamp(s.end, ','),
                s.text
            )
        })
        .collect()
}

fn vtt(segments: &[Segment]) -> String {
    let cues: String = segments
        .iter()
        .map(|s| {
            format!(
                "{} --> {}\n{}\n\n",
                timestamp(s.start, '.'),
                timestamp(s.end, '.'),
                s.text
            )
        })
        .collect();
    format!("WEBVTT\n\n{cues}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtitles_are_well_formed() {
        let s = segments(2.5);
        assert_eq!(s.len(), 2);
        let srt = srt(&s);
        assert!(
            srt.starts_with("1\n00:00:00,000 --> 00:00:01,250\n"),
            "{srt}"
        );
        assert!(vtt(&s).starts_with("WEBVTT\n\n00:00:00.000 --> 00:00:01.250\n"));
        assert_eq!(timestamp(3725.5, ','), "01:02:05,500");
    }

    #[test]
    fn every_speech_format_has_a_fixture() {
        for format in ["mp3", "opus", "aac", "flac", "wav", "pcm"] {
            let (bytes, _) = speech_fixture(format).unwrap();
            assert!(bytes.len() > 1000, "{format}");
        }
        assert!(speech_fixture("ogg").is_none());
    }
}
