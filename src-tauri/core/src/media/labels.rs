//! Machine-readable "made by AI" labels for exported images (EU AI Act Art. 50, IPTC/C2PA
//! practice): an XMP packet with IPTC `DigitalSourceType = trainedAlgorithmicMedia`, the
//! creator tool and model, and the prompt when the user allows it. Written into PNG as an
//! `iTXt` chunk and into JPEG as an APP1 segment; other formats are re-encoded as PNG.

use std::io::Cursor;

use img_parts::jpeg::{markers, Jpeg, JpegSegment};
use img_parts::png::{Png, PngChunk};
use img_parts::Bytes;

use crate::error::{Error, Result};

pub const TRAINED_ALGORITHMIC_MEDIA: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";
const XMP_JPEG_HEADER: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
/// iTXt: keyword, NUL, compression flag and method (0 = none), empty language and
/// translated keyword, then the UTF-8 text.
const XMP_PNG_KEYWORD: &[u8] = b"XML:com.adobe.xmp\0\0\0\0\0";

/// What the label says.
pub struct AiLabel<'a> {
    pub model: &'a str,
    pub prompt: Option<&'a str>,
    /// Unix ms.
    pub created_at: i64,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

pub fn xmp_packet(label: &AiLabel<'_>) -> String {
    let created = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(label.created_at) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default();
    let description = label
        .prompt
        .map(|p| format!("\n   <dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:description>", escape(p)))
        .unwrap_or_default();
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>
<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">
 <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">
  <rdf:Description rdf:about=\"\"
    xmlns:Iptc4xmpExt=\"http://iptc.org/std/Iptc4xmpExt/2008-02-29/\"
    xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\"
    xmlns:dc=\"http://purl.org/dc/elements/1.1/\"
    Iptc4xmpExt:DigitalSourceType=\"{TRAINED_ALGORITHMIC_MEDIA}\"
    xmp:CreatorTool=\"Nexhina Studio {} (model {})\"
    xmp:CreateDate=\"{created}\">{description}
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end=\"w\"?>",
        env!("CARGO_PKG_VERSION"),
        escape(label.model),
    )
}

/// A copy of the image with the label inside; returns the bytes and their mime type.
pub fn label_image(bytes: &[u8], mime: &str, label: &AiLabel<'_>) -> Result<(Vec<u8>, &'static str)> {
    let xmp = xmp_packet(label);
    match mime {
        "image/png" => Ok((label_png(bytes, &xmp)?, "image/png")),
        "image/jpeg" => Ok((label_jpeg(bytes, &xmp)?, "image/jpeg")),
        _ => {
            let image = image::load_from_memory(bytes).map_err(|e| Error::InvalidInput(format!("the image cannot be read: {e}")))?;
            let mut png = Cursor::new(Vec::new());
            image
                .write_to(&mut png, image::ImageFormat::Png)
                .map_err(|e| Error::Internal(format!("could not convert the image to PNG: {e}")))?;
            Ok((label_png(&png.into_inner(), &xmp)?, "image/png"))
        }
    }
}

/// The labelled copy, if taking the label off again gives back exactly `bytes`: a PNG or
/// JPEG with no XMP or other text chunk of its own for the label to replace. A library
/// export needs that to carry the label while import still stores the original file
/// under its own hash.
pub fn label_image_reversibly(bytes: &[u8], mime: &str, label: &AiLabel<'_>) -> Option<Vec<u8>> {
    if mime != "image/png" && mime != "image/jpeg" {
        return None;
    }
    let (labelled, _) = label_image(bytes, mime, label).ok()?;
    (remove_label(&labelled, mime).as_deref() == Some(bytes)).then_some(labelled)
}

/// Takes off the label `label_image` put into a PNG or JPEG: the XMP `iTXt` chunk right
/// after IHDR, or the XMP APP1 segment right after the APP0 ones. `None` if it is not there.
pub fn remove_label(bytes: &[u8], mime: &str) -> Option<Vec<u8>> {
    match mime {
        "image/png" => {
            let mut png = Png::from_bytes(Bytes::copy_from_slice(bytes)).ok()?;
            let chunk = png.chunks().get(1)?;
            if chunk.kind() != *b"iTXt" || !chunk.contents().starts_with(XMP_PNG_KEYWORD) {
                return None;
            }
            png.chunks_mut().remove(1);
            Some(png.encoder().bytes().to_vec())
        }
        "image/jpeg" => {
            let mut jpeg = Jpeg::from_bytes(Bytes::copy_from_slice(bytes)).ok()?;
            let at = jpeg.segments().iter().take_while(|s| s.marker() == markers::APP0).count();
            let segment = jpeg.segments().get(at)?;
            if segment.marker() != markers::APP1 || !segment.contents().starts_with(XMP_JPEG_HEADER) {
                return None;
            }
            jpeg.segments_mut().remove(at);
            Some(jpeg.encoder().bytes().to_vec())
        }
        _ => None,
    }
}

fn label_png(bytes: &[u8], xmp: &str) -> Result<Vec<u8>> {
    let mut png = Png::from_bytes(Bytes::copy_from_slice(bytes)).map_err(|e| Error::InvalidInput(format!("not a PNG: {e}")))?;
    png.remove_chunks_by_type(*b"iTXt");
    let mut contents = XMP_PNG_KEYWORD.to_vec();
    contents.extend_from_slice(xmp.as_bytes());
    // Right after IHDR, before the image data, where readers look for it.
    png.chunks_mut().insert(1, PngChunk::new(*b"iTXt", Bytes::from(contents)));
    Ok(png.encoder().bytes().to_vec())
}

fn label_jpeg(bytes: &[u8], xmp: &str) -> Result<Vec<u8>> {
    let mut jpeg = Jpeg::from_bytes(Bytes::copy_from_slice(bytes)).map_err(|e| Error::InvalidInput(format!("not a JPEG: {e}")))?;
    let mut contents = XMP_JPEG_HEADER.to_vec();
    contents.extend_from_slice(xmp.as_bytes());
    let after_app0 = jpeg.segments().iter().take_while(|s| s.marker() == markers::APP0).count();
    jpeg.segments_mut().insert(after_app0, JpegSegment::new_with_contents(markers::APP1, Bytes::from(contents)));
    Ok(jpeg.encoder().bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(format: image::ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        image::RgbImage::from_pixel(8, 8, image::Rgb([10, 20, 30])).write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn labelled_files_still_decode_and_carry_the_label() {
        let label = AiLabel { model: "gpt-image-1", prompt: Some("a <lighthouse> & sea"), created_at: 1_700_000_000_000 };
        for (format, mime) in [(image::ImageFormat::Png, "image/png"), (image::ImageFormat::Jpeg, "image/jpeg")] {
            let (out, out_mime) = label_image(&encoded(format), mime, &label).unwrap();
            assert_eq!(out_mime, mime);
            image::load_from_memory(&out).expect("still a valid image");
            let text = String::from_utf8_lossy(&out);
            assert!(text.contains(TRAINED_ALGORITHMIC_MEDIA));
            assert!(text.contains("a &lt;lighthouse&gt; &amp; sea"));
        }
    }

    #[test]
    fn a_reversible_label_comes_off_to_the_original_bytes() {
        let label = AiLabel { model: "gpt-image-1", prompt: None, created_at: 1_700_000_000_000 };
        for (format, mime) in [(image::ImageFormat::Png, "image/png"), (image::ImageFormat::Jpeg, "image/jpeg")] {
            let original = encoded(format);
            let labelled = label_image_reversibly(&original, mime, &label).expect("a plain file takes the label");
            assert!(String::from_utf8_lossy(&labelled).contains(TRAINED_ALGORITHMIC_MEDIA));
            assert_eq!(remove_label(&labelled, mime).unwrap(), original);
            assert_eq!(remove_label(&original, mime), None, "no label, nothing to take off");
        }
        assert_eq!(label_image_reversibly(&encoded(image::ImageFormat::Png), "image/webp", &label), None);
    }

    #[test]
    fn a_png_with_text_of_its_own_is_not_labelled_reversibly() {
        // The label replaces iTXt chunks, so this file could not be given back as it was.
        let mut png = Png::from_bytes(Bytes::from(encoded(image::ImageFormat::Png))).unwrap();
        png.chunks_mut().insert(1, PngChunk::new(*b"iTXt", Bytes::from_static(b"Comment\0\0\0\0\0hello")));
        let original = png.encoder().bytes().to_vec();
        let label = AiLabel { model: "m", prompt: None, created_at: 0 };
        assert_eq!(label_image_reversibly(&original, "image/png", &label), None);
    }

    #[test]
    fn the_prompt_can_be_left_out() {
        let label = AiLabel { model: "dall-e-3", prompt: None, created_at: 0 };
        assert!(!xmp_packet(&label).contains("dc:description"));
    }
}
