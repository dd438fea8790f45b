//! Image rules: media type against the bytes, base64, size, count.

use base64::Engine;
use serde_json::Value;

use crate::diagnose::view::RequestView;
use crate::diagnose::{Findings, Patch};
use crate::knowledge::knowledge;

use super::block_type;

const IMAGE_TYPES: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];

/// Image blocks with base64 sources: (block pointer, media_type, data).
fn base64_images(req: &RequestView) -> Vec<(String, Option<&str>, &str)> {
    let Some(messages) = req.messages() else {
        return Vec::new();
    };
    super::all_blocks(messages)
        .into_iter()
        .filter(|(_, _, b)| block_type(b) == Some("image"))
        .filter(|(_, _, b)| b.pointer("/source/type").and_then(Value::as_str) == Some("base64"))
        .filter_map(|(location, _, b)| {
            let data = b.pointer("/source/data")?.as_str()?;
            Some((
                location,
                b.pointer("/source/media_type").and_then(Value::as_str),
                data,
            ))
        })
        .collect()
}

/// The image type the first bytes announce.
fn sniff(data: &str) -> Option<&'static str> {
    let head: String = data
        .chars()
        .filter(|c| !c.is_whitespace())
        .take(32)
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(head.as_bytes())
        .ok()?;
    match bytes.as_slice() {
        [0x89, b'P', b'N', b'G', ..] => Some("image/png"),
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [b'G', b'I', b'F', b'8', ..] => Some("image/gif"),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Some("image/webp"),
        _ => None,
    }
}

pub fn media_type_mismatch(req: &RequestView, out: &mut Findings) {
    for (location, declared, data) in base64_images(req) {
        let Some(declared) = declared else { continue };
        if data.starts_with("data:") {
            continue;
        }
        if let Some(actual) = sniff(data)
            && actual != declared
            && IMAGE_TYPES.contains(&declared)
        {
            out.flag(
                format!("{location}/source/media_type"),
                format!("the image is declared `{declared}` but its bytes are {actual}"),
            )
            .evidence(format!("{declared} ≠ {actual}"))
            .fix(format!(
                "send media_type `{actual}` (detect it from the bytes, not the file name)"
            ))
            .patch(Patch::set(
                format!("{location}/source/media_type"),
                Value::from(actual),
            ));
        }
    }
}

pub fn unsupported_media_type(req: &RequestView, out: &mut Findings) {
    for (location, declared, data) in base64_images(req) {
        let declared = declared.unwrap_or("(missing)");
        if IMAGE_TYPES.contains(&declared) {
            continue;
        }
        let finding = out
            .flag(
                format!("{location}/source/media_type"),
                format!("`{declared}` is not an accepted image type (jpeg, png, gif, webp)"),
            )
            .evidence(declared);
        match sniff(data) {
            Some(actual) => {
                finding
                    .fix(format!("the bytes are {actual}: send that"))
                    .patch(Patch::set(
                        format!("{location}/source/media_type"),
                        Value::from(actual),
                    ));
            }
            None => {
                finding.fix("convert the image to PNG or JPEG");
            }
        }
    }
}

pub fn data_url_prefix(req: &RequestView, out: &mut Findings) {
    for (location, _, data) in base64_images(req) {
        if let Some((_, rest)) = data
            .strip_prefix("data:")
            .and_then(|d| d.split_once(";base64,"))
        {
            out.flag(
                format!("{location}/source/data"),
                "`data` holds a data: URL; it takes only the base64 text",
            )
            .evidence(&data[..data.len().min(40)])
            .fix("drop the `data:image/...;base64,` prefix")
            .patch(Patch::set(
                format!("{location}/source/data"),
                Value::from(rest),
            ));
        }
    }
}

pub fn bad_base64(req: &RequestView, out: &mut Findings) {
    for (location, _, data) in base64_images(req) {
        if data.starts_with("data:") {
            continue;
        }
        let clean: String = data.chars().filter(|c| !c.is_whitespace()).collect();
        if base64::engine::general_purpose::STANDARD
            .decode(clean.as_bytes())
            .is_err()
        {
            out.flag(
                format!("{location}/source/data"),
                "`data` is not valid base64",
            )
            .evidence(&data[..data.len().min(40)])
            .fix("encode the file's bytes with standard base64 (with padding, not URL-safe)");
        }
    }
}

pub fn too_large(req: &RequestView, out: &mut Findings) {
    let limit = knowledge().api.image_base64_limit;
    for (location, _, data) in base64_images(req) {
        if data.len() > limit {
            out.flag(format!("{location}/source/data"), format!("the image's base64 is {} bytes; the limit is {limit}", data.len()))
                .evidence(format!("{} > {limit}", data.len()))
                .fix("downscale the image (the API downsizes anything over 1568 px anyway) or re-encode as JPEG");
        }
    }
}

pub fn too_many(req: &RequestView, out: &mut Findings) {
    let Some(messages) = req.messages() else {
        return;
    };
    let limit = knowledge().api.max_images_per_request;
    let count = super::all_blocks(messages)
        .iter()
        .filter(|(_, _, b)| block_type(b) == Some("image"))
        .count();
    if count > limit {
        out.flag(
            "/messages",
            format!("{count} images in one request; the API takes at most {limit}"),
        )
        .evidence(format!("{count} > {limit}"))
        .fix("send fewer images per request");
    }
}
