//! Images, speech and transcription.

use base64::Engine;
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::{client, json, post, start, KEY};

static SPEECH_WAV: &[u8] = include_bytes!("../../fixtures/speech.wav");

/// Width and height from a PNG's IHDR.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

fn b64(value: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(value.as_str().unwrap())
        .unwrap()
}

#[tokio::test]
async fn generated_images_are_pngs_that_differ_by_prompt() {
    let sim = start().await;
    let generate = |prompt: &str| {
        post(
            &sim,
            "/v1/images/generations",
            json!({"model": "gpt-image-1", "prompt": prompt, "size": "256x256"}),
        )
    };
    let a = json(generate("a red fox").send().await.unwrap()).await;
    let b = json(generate("a blue whale").send().await.unwrap()).await;
    let again = json(generate("a red fox").send().await.unwrap()).await;
    let (a_png, b_png) = (
        b64(&a["data"][0]["b64_json"]),
        b64(&b["data"][0]["b64_json"]),
    );
    assert_eq!(png_size(&a_png), (256, 256));
    assert_ne!(a_png, b_png);
    assert_eq!(a_png, b64(&again["data"][0]["b64_json"]));
    assert!(a["usage"]["total_tokens"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn dall_e_answers_urls_served_without_a_key() {
    let sim = start().await;
    let request = json!({"model": "dall-e-3", "prompt": "a lighthouse", "size": "64x32"});
    let body = json(
        post(&sim, "/v1/images/generations", request)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(body["data"][0]["revised_prompt"]
        .as_str()
        .unwrap()
        .contains("a lighthouse"));
    assert!(body.get("usage").is_none());
    let url = body["data"][0]["url"].as_str().unwrap();
    assert!(url.starts_with(&sim.base_url()));
    let png = client().get(url).send().await.unwrap();
    assert_eq!(png.status(), 200);
    assert_eq!(png.headers()["content-type"], "image/png");
    assert_eq!(png_size(&png.bytes().await.unwrap()), (64, 32));

    let two = json!({"model": "dall-e-2", "prompt": "x", "n": 2, "size": "32x32", "response_format": "b64_json"});
    let two = json(
        post(&sim, "/v1/images/generations", two)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(two["data"].as_array().unwrap().len(), 2);
    assert_ne!(two["data"][0]["b64_json"], two["data"][1]["b64_json"]);
}

#[tokio::test]
async fn edits_take_images_and_refuse_other_files() {
    let sim = start().await;
    let source = json(
        post(
            &sim,
            "/v1/images/generations",
            json!({"model": "gpt-image-1", "prompt": "base", "size": "48x48"}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let png = b64(&source["data"][0]["b64_json"]);
    let edit = |image: Vec<u8>, name: &'static str| {
        let form = Form::new()
            .part("image[]", Part::bytes(image).file_name(name))
            .text("prompt", "add a hat")
            .text("model", "gpt-image-1");
        client()
            .post(format!("{}/v1/images/edits", sim.base_url()))
            .bearer_auth(KEY)
            .multipart(form)
    };
    let edited = json(edit(png.clone(), "in.png").send().await.unwrap()).await;
    let out = b64(&edited["data"][0]["b64_json"]);
    assert_eq!(png_size(&out), (48, 48));
    assert_ne!(out, png);

    let refused = edit(b"just some text".to_vec(), "notes.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert!(json(refused).await["error"]["message"]
        .as_str()
        .unwrap()
        .contains("notes.txt"));

    let variations = client()
        .post(format!("{}/v1/images/variations", sim.base_url()))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(variations.status(), 501);
    assert_eq!(
        json(variations).await["error"]["code"],
        "api_not_implemented"
    );
}

#[tokio::test]
async fn speech_comes_back_as_real_audio_in_chunks() {
    let sim = start().await;
    let speak = |format: &str| {
        post(
            &sim,
            "/v1/audio/speech",
            json!({"model": "tts-1", "input": "Hello there", "voice": "alloy", "response_format": format}),
        )
    };
    let mp3 = speak("mp3").send().await.unwrap();
    assert_eq!(mp3.status(), 200);
    assert_eq!(mp3.headers()["content-type"], "audio/mpeg");
    assert!(
        mp3.headers().get("content-length").is_none(),
        "sent chunked"
    );
    let bytes = mp3.bytes().await.unwrap();
    assert!(bytes.starts_with(b"ID3") || (bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0));
    assert!(bytes.len() > 2000);

    let wav = speak("wav").send().await.unwrap().bytes().await.unwrap();
    assert!(wav.starts_with(b"RIFF") && &wav[8..12] == b"WAVE");
    let pcm = speak("pcm").send().await.unwrap().bytes().await.unwrap();
    assert_eq!(pcm.len(), wav.len() - 44, "pcm is the wav's samples");
    assert!(speak("opus")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .starts_with(b"OggS"));
    assert!(speak("flac")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .starts_with(b"fLaC"));

    let too_long = post(
        &sim,
        "/v1/audio/speech",
        json!({"model": "tts-1", "input": "a".repeat(4097), "voice": "alloy"}),
    );
    assert_eq!(too_long.send().await.unwrap().status(), 400);
}

#[tokio::test]
async fn transcription_checks_the_upload_and_answers_each_format() {
    let sim = start().await;
    let send = |file: Option<Vec<u8>>, format: &str, path: &str| {
        let mut form = Form::new()
            .text("model", "whisper-1")
            .text("response_format", format.to_owned());
        if let Some(file) = file {
            form = form.part("file", Part::bytes(file).file_name("speech.wav"));
        }
        client()
            .post(format!("{}{path}", sim.base_url()))
            .bearer_auth(KEY)
            .multipart(form)
    };
    let text = json(
        send(
            Some(SPEECH_WAV.to_vec()),
            "json",
            "/v1/audio/transcriptions",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(text["text"], "Hello from the Nexhina demo platform.");

    let verbose = json(
        send(
            Some(SPEECH_WAV.to_vec()),
            "verbose_json",
            "/v1/audio/translations",
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(verbose["task"], "translate");
    assert_eq!(verbose["language"], "english");
    assert!(verbose["duration"].as_f64().unwrap() > 1.0);
    assert_eq!(verbose["segments"].as_array().unwrap().len(), 2);

    let srt = send(Some(SPEECH_WAV.to_vec()), "srt", "/v1/audio/transcriptions")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(srt.starts_with("1\n00:00:00,000 --> "));

    let not_audio = send(
        Some(b"%PDF-1.7 not audio".to_vec()),
        "json",
        "/v1/audio/transcriptions",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(not_audio.status(), 400);
    assert!(json(not_audio).await["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not audio"));
    assert_eq!(
        send(None, "json", "/v1/audio/transcriptions")
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
}
