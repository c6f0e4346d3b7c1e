//! No telemetry: chat, image, video and speech through the `nexhina` binary with every
//! request sent through a recording proxy; only the platform's host may appear in it.

use std::sync::{Arc, Mutex};

use nexhina_simulator::{SimConfig, Simulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{stderr, Run};

/// A forward HTTP proxy that records the host of every request line it relays.
async fn recording_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let hosts = Arc::new(Mutex::new(Vec::new()));
    let seen = hosts.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(relay(client, seen.clone()));
        }
    });
    (address, hosts)
}

async fn relay(mut client: TcpStream, hosts: Arc<Mutex<Vec<String>>>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 8192];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match client.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let line = String::from_utf8_lossy(&head).lines().next().unwrap_or_default().to_string();
    let target = line.split(' ').nth(1).unwrap_or_default().to_string();
    let authority = if line.starts_with("CONNECT ") {
        target.clone()
    } else {
        target.trim_start_matches("http://").split('/').next().unwrap_or_default().to_string()
    };
    hosts.lock().unwrap().push(authority.clone());
    let Ok(mut upstream) = TcpStream::connect(&authority).await else { return };
    if line.starts_with("CONNECT ") {
        let _ = client.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await;
    } else if upstream.write_all(&head).await.is_err() {
        return;
    }
    // Every later request on this connection is recorded too: a client reusing it for
    // another host would show up here.
    let (mut cr, mut cw) = client.into_split();
    let (mut ur, mut uw) = upstream.into_split();
    let record = hosts.clone();
    let up = tokio::spawn(async move {
        let mut buf = vec![0u8; 65536];
        loop {
            let n = match cr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let text = String::from_utf8_lossy(&buf[..n]);
            for l in text.split("\r\n") {
                for method in ["GET ", "POST ", "PUT ", "DELETE ", "PATCH ", "HEAD "] {
                    if let Some(rest) = l.strip_prefix(method).and_then(|r| r.strip_prefix("http://")) {
                        record.lock().unwrap().push(rest.split('/').next().unwrap_or_default().to_string());
                    }
                }
            }
            if uw.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
    });
    let _ = tokio::io::copy(&mut ur, &mut cw).await;
    up.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn chat_image_video_and_speech_contact_only_the_platform() {
    let sim = Simulator::start(SimConfig {
        chunk_delay: std::time::Duration::from_millis(1),
        video_step: std::time::Duration::from_millis(100),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let (proxy, hosts) = recording_proxy().await;
    let run = Run::new();
    let base = sim.base_url();
    let platform = base.trim_start_matches("http://").trim_end_matches('/').to_string();
    let steps: [&[&str]; 4] = [
        &["chat", "--model", "gpt-4o-mini", "hello"],
        &["image", "--size", "256x256", "a", "lighthouse"],
        &["video", "--seconds", "4", "waves"],
        &["speak", "Hello", "there."],
    ];
    for step in steps {
        let out = run
            .command(&[&["--base-url", base.as_str(), "--api-key", "sk-demo"][..], step].concat())
            .env("HTTP_PROXY", &proxy)
            .env("HTTPS_PROXY", &proxy)
            .env("ALL_PROXY", &proxy)
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .output()
            .unwrap();
        assert!(out.status.success(), "{step:?}: {}", stderr(&out));
    }
    let hosts = hosts.lock().unwrap().clone();
    assert!(hosts.len() >= 4, "every call went through the proxy: {hosts:?}");
    let others: Vec<&String> = hosts.iter().filter(|h| **h != platform).collect();
    assert!(others.is_empty(), "hosts other than the platform {platform} were contacted: {others:?}");
    assert!(sim.requests().len() >= hosts.len(), "the proxy saw the platform's own requests");
}
