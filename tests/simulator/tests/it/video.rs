//! Video tasks: submit, poll until done, download.

use std::time::Duration;

use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};

use crate::{client, get, json, post, start, KEY};

async fn poll_until(
    sim: &nexhina_simulator::Simulator,
    path: &str,
    done: impl Fn(&Value) -> bool,
) -> Vec<Value> {
    let mut seen = Vec::new();
    for _ in 0..100 {
        let body = json(get(sim, path).send().await.unwrap()).await;
        let finished = done(&body);
        seen.push(body);
        if finished {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{path} never finished: {seen:?}");
}

#[tokio::test]
async fn openai_style_task_completes_and_downloads_an_mp4() {
    let sim = start().await;
    let submitted = json(
        post(
            &sim,
            "/v1/videos",
            json!({"model": "sora", "prompt": "a cat surfing", "seconds": "4", "size": "1280x720"}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(submitted["status"], "queued");
    assert_eq!(submitted["progress"], 0);
    let id = submitted["id"].as_str().unwrap().to_owned();
    assert_eq!(submitted["task_id"], id.as_str());

    let early = get(&sim, &format!("/v1/videos/{id}/content"))
        .send()
        .await
        .unwrap();
    assert_eq!(early.status(), 400, "not finished yet");

    let polls = poll_until(&sim, &format!("/v1/videos/{id}"), |b| {
        b["status"] == "completed"
    })
    .await;
    assert!(polls.iter().any(|p| p["status"] == "in_progress"));
    let progress: Vec<u64> = polls
        .iter()
        .map(|p| p["progress"].as_u64().unwrap())
        .collect();
    assert!(progress.windows(2).all(|w| w[0] <= w[1]), "{progress:?}");
    let last = polls.last().unwrap();
    assert_eq!(last["progress"], 100);
    assert_eq!(last["seconds"], "4");
    assert!(last["completed_at"].is_u64());

    let mp4 = get(&sim, &format!("/v1/videos/{id}/content"))
        .send()
        .await
        .unwrap();
    assert_eq!(mp4.status(), 200);
    assert_eq!(mp4.headers()["content-type"], "video/mp4");
    let bytes = mp4.bytes().await.unwrap();
    assert_eq!(&bytes[4..8], b"ftyp");
}

#[tokio::test]
async fn generic_task_polls_wrapped_and_fails_on_request() {
    let sim = start().await;
    let submitted = json(
        post(
            &sim,
            "/v1/video/generations",
            json!({"model": "veo-2", "prompt": "a sunrise", "duration": 5}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    let id = submitted["task_id"].as_str().unwrap().to_owned();
    let polls = poll_until(&sim, &format!("/v1/video/generations/{id}"), |b| {
        b["data"]["status"] == "SUCCESS"
    })
    .await;
    let last = polls.last().unwrap();
    assert_eq!(last["code"], "success");
    assert_eq!(last["data"]["progress"], "100%");
    let url = last["data"]["result_url"].as_str().unwrap();
    let file = client().get(url).send().await.unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(&file.bytes().await.unwrap()[4..8], b"ftyp");

    let used = || async {
        json(get(&sim, "/api/usage/token/").send().await.unwrap()).await["data"]["total_used"]
            .as_i64()
            .unwrap()
    };
    let before = used().await;
    let failing = json(
        post(
            &sim,
            "/v1/video/generations",
            json!({"model": "veo-2", "prompt": "please fail"}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert!(used().await > before, "pre-charged");
    let id = failing["id"].as_str().unwrap();
    let polls = poll_until(&sim, &format!("/v1/video/generations/{id}"), |b| {
        b["data"]["status"] == "FAILURE"
    })
    .await;
    assert!(!polls.last().unwrap()["data"]["fail_reason"]
        .as_str()
        .unwrap()
        .is_empty());
    assert_eq!(polls.last().unwrap()["data"]["progress"], "30%");
    assert_eq!(used().await, before, "refunded on failure");
}

#[tokio::test]
async fn task_errors_use_their_own_envelope() {
    let sim = start().await;
    let unknown = get(&sim, "/v1/videos/task_nope").send().await.unwrap();
    assert_eq!(unknown.status(), 400);
    assert_eq!(
        json(unknown).await,
        json!({"code": "task_not_exist", "message": "task_not_exist", "data": null})
    );
    let unknown = get(&sim, "/v1/video/generations/task_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(json(unknown).await["code"], "task_not_exist");

    let bad_seconds = post(
        &sim,
        "/v1/videos",
        json!({"model": "sora", "prompt": "x", "seconds": "5"}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(bad_seconds.status(), 400);
    assert_eq!(json(bad_seconds).await["code"], "invalid_seconds");
    let numeric = post(
        &sim,
        "/v1/videos",
        json!({"model": "sora", "prompt": "x", "seconds": 4}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(json(numeric).await["code"], "invalid_seconds");
    let no_model = post(&sim, "/v1/videos", json!({"prompt": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(json(no_model).await["code"], "missing_model");
}

#[tokio::test]
async fn multipart_submit_takes_an_input_reference() {
    let sim = start().await;
    let image = json(
        post(
            &sim,
            "/v1/images/generations",
            json!({"model": "gpt-image-1", "prompt": "frame", "size": "32x32"}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    use base64::Engine;
    let png = base64::engine::general_purpose::STANDARD
        .decode(image["data"][0]["b64_json"].as_str().unwrap())
        .unwrap();
    let form = Form::new()
        .text("model", "sora")
        .text("prompt", "animate this")
        .text("seconds", "8")
        .part(
            "input_reference",
            Part::bytes(png)
                .file_name("frame.png")
                .mime_str("image/png")
                .unwrap(),
        );
    let submitted = client()
        .post(format!("{}/v1/videos", sim.base_url()))
        .bearer_auth(KEY)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(submitted.status(), 200);
    let id = json(submitted).await["id"].as_str().unwrap().to_owned();
    let polled = json(get(&sim, &format!("/v1/videos/{id}")).send().await.unwrap()).await;
    assert_eq!(polled["seconds"], "8");
}
