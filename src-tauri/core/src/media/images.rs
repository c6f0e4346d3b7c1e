//! Checking and thumbnailing images the user brings in.

use std::io::Cursor;

use image::{ImageFormat, ImageReader};

use crate::error::{Error, Result};

/// The largest image accepted as an attachment (the platform's vision limit is 20 MB).
pub const MAX_IMAGE_BYTES: usize = 20 * 1024 * 1024;
const THUMBNAIL_EDGE: u32 = 256;

#[derive(Debug)]
pub struct ImageInfo {
    pub mime: &'static str,
    pub width: u32,
    pub height: u32,
    pub(super) image: image::DynamicImage,
}

pub(super) fn too_large(size: u64) -> Error {
    Error::InvalidInput(format!(
        "the image is {:.1} MB; images up to {} MB can be attached",
        size as f64 / 1_048_576.0,
        MAX_IMAGE_BYTES / 1_048_576
    ))
}

/// Decodes the whole image: a file that only starts like an image is refused here rather
/// than by the platform after upload.
pub fn inspect_image(bytes: &[u8]) -> Result<ImageInfo> {
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(too_large(bytes.len() as u64));
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| Error::InvalidInput(format!("could not read the file: {e}")))?;
    let format = reader.format();
    let mime = match format {
        Some(ImageFormat::Png) => "image/png",
        Some(ImageFormat::Jpeg) => "image/jpeg",
        Some(ImageFormat::WebP) => "image/webp",
        Some(ImageFormat::Gif) => "image/gif",
        Some(ImageFormat::Bmp) => "image/bmp",
        _ => return Err(Error::InvalidInput("this file is not an image (PNG, JPEG, WebP, GIF or BMP)".into())),
    };
    let image = reader
        .decode()
        .map_err(|e| Error::InvalidInput(format!("the image is damaged and cannot be read ({e})")))?;
    Ok(ImageInfo { mime, width: image.width(), height: image.height(), image })
}

/// A JPEG about 256 px on its long edge; `None` for images already that small.
///
/// JPEG sources are decoded at reduced size in the DCT (1/2, 1/4 or 1/8 scale, as vips
/// does with shrink-on-load), so a 6-megapixel photo costs a fraction of a full decode;
/// the last step is a fast_image_resize convolution. Other formats use the image already
/// decoded for validation, or decode it.
pub fn thumbnail_jpeg(bytes: &[u8], decoded: Option<&image::DynamicImage>) -> Result<Option<Vec<u8>>> {
    let rgb = match jpeg_at_least(bytes, THUMBNAIL_EDGE) {
        Some(rgb) => rgb,
        None => match decoded {
            Some(image) => image.to_rgb8(),
            None => image::load_from_memory(bytes)
                .map_err(|e| Error::InvalidInput(format!("the image cannot be read: {e}")))?
                .to_rgb8(),
        },
    };
    let (w, h) = rgb.dimensions();
    if w.max(h) <= THUMBNAIL_EDGE && decoded.is_some_and(|d| d.width().max(d.height()) <= THUMBNAIL_EDGE) {
        return Ok(None);
    }
    let scale = f64::from(THUMBNAIL_EDGE) / f64::from(w.max(h)).max(1.0);
    let scale = scale.min(1.0);
    let (tw, th) = (((f64::from(w) * scale).round() as u32).max(1), ((f64::from(h) * scale).round() as u32).max(1));
    let source = image::DynamicImage::ImageRgb8(rgb);
    let mut small = image::RgbImage::new(tw, th);
    let options = fast_image_resize::ResizeOptions::new()
        .resize_alg(fast_image_resize::ResizeAlg::Convolution(fast_image_resize::FilterType::Bilinear));
    fast_image_resize::Resizer::new()
        .resize(&source, &mut small, &options)
        .map_err(|e| Error::Internal(format!("could not make a thumbnail: {e}")))?;
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82)
        .encode_image(&small)
        .map_err(|e| Error::Internal(format!("could not make a thumbnail: {e}")))?;
    Ok(Some(out.into_inner()))
}

/// Decodes a JPEG at the smallest DCT scale that is still at least `edge` on its long side.
fn jpeg_at_least(bytes: &[u8], edge: u32) -> Option<image::RgbImage> {
    if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return None;
    }
    let mut decoder = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    decoder.read_info().ok()?;
    let info = decoder.info()?;
    let long = u32::from(info.width.max(info.height)).max(1);
    let factor = f64::from(edge) / f64::from(long);
    let (rw, rh) = ((f64::from(info.width) * factor).ceil() as u16, (f64::from(info.height) * factor).ceil() as u16);
    let (sw, sh) = decoder.scale(rw.max(1), rh.max(1)).ok()?;
    let pixels = decoder.decode().ok()?;
    let info = decoder.info()?;
    let (sw, sh) = (u32::from(sw), u32::from(sh));
    match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => image::RgbImage::from_raw(sw, sh, pixels),
        jpeg_decoder::PixelFormat::L8 => {
            image::GrayImage::from_raw(sw, sh, pixels).map(|g| image::DynamicImage::ImageLuma8(g).to_rgb8())
        }
        // CMYK and 16-bit JPEGs take the general path.
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 128]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_real_image_is_measured() {
        let info = inspect_image(&png(300, 200)).unwrap();
        assert_eq!((info.mime, info.width, info.height), ("image/png", 300, 200));
        let thumb = thumbnail_jpeg(&png(300, 200), Some(&info.image)).unwrap().unwrap();
        let small = image::load_from_memory(&thumb).unwrap();
        assert_eq!((small.width(), small.height()), (256, 171));
    }

    #[test]
    fn jpeg_thumbnails_use_a_scaled_decode_and_keep_the_aspect() {
        let photo = image::RgbImage::from_fn(3000, 2000, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut jpeg = Cursor::new(Vec::new());
        photo.write_to(&mut jpeg, ImageFormat::Jpeg).unwrap();
        let bytes = jpeg.into_inner();
        let scaled = jpeg_at_least(&bytes, 256).unwrap();
        assert!(scaled.width() >= 256 && scaled.width() <= 512, "decoded at 1/8: {}", scaled.width());
        let thumb = image::load_from_memory(&thumbnail_jpeg(&bytes, None).unwrap().unwrap()).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (256, 171));
    }

    #[test]
    fn text_truncated_and_huge_files_are_refused_clearly() {
        let err = inspect_image(b"hello, I am a text file").unwrap_err();
        assert!(err.to_string().contains("not an image"), "{err}");
        let mut cut = png(300, 200);
        cut.truncate(cut.len() / 2);
        let err = inspect_image(&cut).unwrap_err();
        assert!(err.to_string().contains("damaged"), "{err}");
        let err = inspect_image(&vec![0u8; MAX_IMAGE_BYTES + 1]).unwrap_err();
        assert!(err.to_string().contains("MB"), "{err}");
    }
}
