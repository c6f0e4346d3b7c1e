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
    image: image::DynamicImage,
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
/// Resized with fast_image_resize (SIMD convolution), several times faster than `image`'s.
pub(super) fn thumbnail_jpeg(info: &ImageInfo) -> Result<Option<Vec<u8>>> {
    let (w, h) = (info.width, info.height);
    if w.max(h) <= THUMBNAIL_EDGE {
        return Ok(None);
    }
    let scale = THUMBNAIL_EDGE as f64 / w.max(h) as f64;
    let (tw, th) = (((w as f64 * scale).round() as u32).max(1), ((h as f64 * scale).round() as u32).max(1));
    let source = image::DynamicImage::ImageRgb8(info.image.to_rgb8());
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
        assert!(thumbnail_jpeg(&info).unwrap().is_some());
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
