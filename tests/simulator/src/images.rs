//! `POST /v1/images/generations` and `/v1/images/edits`: real PNGs drawn from the prompt.
//!
//! gpt-image-* answers `b64_json` plus usage; dall-e-* answers a `url` on the simulator's
//! `/files` (no key needed, like a CDN) unless `response_format` is `b64_json`. Output is
//! always PNG, whatever `output_format` asks.

use axum::body::Bytes;
use axum::extract::Request;
use axum::response::Response;
use base64::Engine;
use serde_json::{json, Value};

use crate::form::Form;
use crate::gateway::{ok_json, Answer, Ctx};
use crate::media::{image_kind, Canvas, ImageKind};
use crate::state::{unix_now, Charge, HostedFile};
use crate::text::{digest, estimate_tokens, excerpt, hash64};

const IMAGE_QUOTA: i64 = 20_000;

/// `WxH` with an ASCII x; `auto` is 1024x1024. Small sizes are allowed for tests.
fn parse_size(size: Option<&str>, default: (u32, u32)) -> Result<(u32, u32), String> {
    let Some(size) = size
        .map(str::trim)
        .filter(|s| !s.is_empty() && *s != "auto")
    else {
        return Ok(default);
    };
    let parsed = size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<u32>().ok()?, h.parse::<u32>().ok()?)));
    match parsed {
        Some((w, h)) if (16..=4096).contains(&w) && (16..=4096).contains(&h) => Ok((w, h)),
        _ => Err(format!(
            "'{size}' is not a valid size: use WIDTHxHEIGHT (e.g. 1024x1024), each between 16 and 4096"
        )),
    }
}

/// What every image request settles before drawing.
struct Order {
    model: String,
    prompt: String,
    n: usize,
    size: (u32, u32),
    as_url: bool,
    quality: String,
}

fn read_order(
    ctx: &Ctx,
    model: String,
    field: impl Fn(&str) -> Option<String>,
    default_size: (u32, u32),
) -> Result<Order, Response> {
    let Some(prompt) = field("prompt").filter(|p| !p.trim().is_empty()) else {
        return Err(ctx.invalid_request("field prompt is required"));
    };
    let n = match field("n") {
        None => 1,
        Some(n) => match n.parse::<usize>() {
            Ok(n) if (1..=10).contains(&n) => n,
            _ => {
                return Err(ctx.upstream_error(
                    400,
                    Some("invalid_value"),
                    "n",
                    "n must be an integer between 1 and 10",
                ))
            }
        },
    };
    if model == "dall-e-3" && n != 1 {
        return Err(ctx.upstream_error(
            400,
            Some("invalid_value"),
            "n",
            "You must provide n=1 for this model.",
        ));
    }
    let size = parse_size(field("size").as_deref(), default_size)
        .map_err(|why| ctx.upstream_error(400, Some("invalid_size"), "size", &why))?;
    let gpt_image = model.starts_with("gpt-image");
    let as_url = match field("response_format").as_deref() {
        None | Some("url") => !gpt_image,
        Some("b64_json") => false,
        Some(other) => {
            return Err(ctx.upstream_error(
                400,
                Some("invalid_value"),
                "response_format",
                &format!("response_format must be 'url' or 'b64_json', not '{other}'"),
            ))
        }
    };
    let quality =
        field("quality").unwrap_or_else(|| if gpt_image { "auto" } else { "standard" }.to_owned());
    Ok(Order {
        model,
        prompt,
        n,
        size,
        as_url,
        quality,
    })
}

/// A field of a JSON body as text (numbers included, for `n`).
fn json_field(request: &Value) -> impl Fn(&str) -> Option<String> + '_ {
    move |name| match request.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

pub(crate) async fn generate(ctx: Ctx, body: Bytes) -> Answer {
    let request = ctx.json_body(&body)?;
    let model = ctx.known_model(request.get("model"))?;
    let order = read_order(&ctx, model, json_field(&request), (1024, 1024))?;
    let (prompt, (w, h), n) = (order.prompt.clone(), order.size, order.n);
    let pngs = draw(move || {
        (0..n)
            .map(|i| {
                let seed = hash64(&digest(&[prompt.as_bytes(), &i.to_le_bytes()]));
                Canvas::procedural(seed, w, h).encode_png()
            })
            .collect()
    })
    .await;
    Ok(deliver(&ctx, &order, pngs, 0))
}

pub(crate) async fn edit(ctx: Ctx, request: Request) -> Answer {
    let form = Form::read(request).await.map_err(|why| {
        ctx.upstream_error(400, None, "", &format!("invalid multipart form: {why}"))
    })?;
    let images = form.all(&["image", "image[]"]);
    if images.is_empty() {
        return Err(ctx.upstream_error(
            400,
            None,
            "image",
            "image is required: send one `image` (or several `image[]`) file parts",
        ));
    }
    if let Some(bad) = images.iter().find(|p| image_kind(&p.data).is_none()) {
        let name = bad.file_name.as_deref().unwrap_or("upload");
        return Err(ctx.upstream_error(
            400,
            Some("invalid_image_format"),
            "image",
            &format!("Invalid image file '{name}': only PNG, JPEG and WebP images are supported"),
        ));
    }
    let mask = form.part("mask").map(|m| m.data.clone());
    if mask
        .as_ref()
        .is_some_and(|m| image_kind(m) != Some(ImageKind::Png))
    {
        return Err(ctx.upstream_error(
            400,
            Some("invalid_image_format"),
            "mask",
            "mask must be a PNG image",
        ));
    }
    let model = match form.text("model") {
        Some(m) => ctx.check_model(crate::faults::strip_fault_suffix(&m).to_owned())?,
        None => "dall-e-2".to_owned(),
    };
    let source = images[0].data.clone();
    let default_size = png_dimensions(&source).map_or((1024, 1024), |(w, h)| {
        (w.clamp(16, 4096), h.clamp(16, 4096))
    });
    let order = read_order(&ctx, model, |name| form.text(name), default_size)?;
    let image_count = images.len() as u64;
    let (prompt, (w, h), n) = (order.prompt.clone(), order.size, order.n);
    let pngs = draw(move || {
        // JPEG and WebP sources are not decoded: the picture is then drawn from their hash.
        let base = Canvas::decode_png(&source).map(|c| c.resized(w, h));
        let mask = mask
            .and_then(|m| Canvas::decode_png(&m))
            .map(|m| m.resized(w, h));
        (0..n)
            .map(|i| {
                let seed = hash64(&digest(&[prompt.as_bytes(), &source, &i.to_le_bytes()]));
                let mut out = Canvas::procedural(seed, w, h);
                if let Some(base) = &base {
                    blend_edit(&mut out, base, mask.as_ref());
                }
                out.encode_png()
            })
            .collect()
    })
    .await;
    Ok(deliver(&ctx, &order, pngs, 65 * image_count))
}

/// Width and height from a PNG's header, without decoding it.
fn png_dimensions(bytes: &[u8]) -> Option<(u32, u32)> {
    if image_kind(bytes) != Some(ImageKind::Png) || bytes.len() < 24 {
        return None;
    }
    let be =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    Some((be(16), be(20)))
}

/// Keeps the source recognisable: 60 % source everywhere, and the new drawing alone where
/// the mask is transparent (the part an edit is meant to change).
fn blend_edit(out: &mut Canvas, base: &Canvas, mask: Option<&Canvas>) {
    for (i, px) in out.rgba.chunks_exact_mut(4).enumerate() {
        let editable = mask.is_some_and(|m| m.rgba[i * 4 + 3] < 128);
        if !editable {
            for (c, value) in px.iter_mut().take(3).enumerate() {
                let b = base.rgba[i * 4 + c] as u16;
                *value = ((b * 6 + *value as u16 * 4) / 10) as u8;
            }
        }
    }
}

/// Drawing and PNG encoding are CPU work: keep them off the async workers.
async fn draw(work: impl FnOnce() -> Vec<Vec<u8>> + Send + 'static) -> Vec<Vec<u8>> {
    tokio::task::spawn_blocking(work).await.unwrap_or_default()
}

fn deliver(ctx: &Ctx, order: &Order, pngs: Vec<Vec<u8>>, image_tokens: u64) -> Response {
    let gpt_image = order.model.starts_with("gpt-image");
    let revised = (order.model == "dall-e-3").then(|| {
        format!(
            "A vivid, detailed illustration of {}, with soft lighting and rich colours.",
            excerpt(&order.prompt, 400)
        )
    });
    let data: Vec<Value> = pngs
        .into_iter()
        .map(|png| {
            let mut item = if order.as_url {
                let id = ctx.state.new_id("img_");
                let url = format!("{}/files/{id}.png", ctx.base_url);
                ctx.state.host_file(
                    id,
                    HostedFile {
                        content_type: "image/png",
                        bytes: Bytes::from(png),
                    },
                );
                json!({"url": url})
            } else {
                json!({"b64_json": base64::engine::general_purpose::STANDARD.encode(png)})
            };
            if let Some(revised) = &revised {
                item["revised_prompt"] = json!(revised);
            }
            item
        })
        .collect();
    let count = data.len() as u64;
    let text_tokens = estimate_tokens(&order.prompt);
    let per_image = match order.quality.as_str() {
        "low" => 272,
        "high" | "hd" => 4160,
        _ => 1056,
    };
    let output_tokens = per_image * count;
    ctx.state.charge(Charge {
        model: &order.model,
        prompt_tokens: text_tokens + image_tokens,
        completion_tokens: output_tokens,
        quota: IMAGE_QUOTA * count as i64,
        stream: false,
    });
    let mut answer = json!({"created": unix_now(), "data": data});
    if gpt_image {
        let (w, h) = order.size;
        answer["background"] = json!("opaque");
        answer["output_format"] = json!("png");
        answer["quality"] = json!(order.quality);
        answer["size"] = json!(format!("{w}x{h}"));
        answer["usage"] = json!({
            "input_tokens": text_tokens + image_tokens,
            "output_tokens": output_tokens,
            "total_tokens": text_tokens + image_tokens + output_tokens,
            "input_tokens_details": {"text_tokens": text_tokens, "image_tokens": image_tokens},
        });
    }
    ok_json(&answer).unwrap_or_else(|e| e)
}

pub(crate) async fn variations(ctx: Ctx) -> Answer {
    Err(ctx.gateway_error(501, "api_not_implemented", "API not implemented"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_like_the_platform_expects() {
        assert_eq!(parse_size(None, (1024, 1024)), Ok((1024, 1024)));
        assert_eq!(parse_size(Some("auto"), (1024, 1024)), Ok((1024, 1024)));
        assert_eq!(parse_size(Some("256x128"), (1, 1)), Ok((256, 128)));
        assert!(parse_size(Some("256×256"), (1, 1)).is_err());
        assert!(parse_size(Some("8x8"), (1, 1)).is_err());
    }
}
