//! App logos: an uploaded image is checked (size, and that its bytes are the image type they claim) and kept
//! in the log as base64; `GET /v1/app-logos/{logo_id}` serves it back.

use base64::Engine;
use omi_domain::app::{App, AppCommand};

use crate::app::Caller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time_input::now;

/// The largest logo, in bytes.
pub const MAX_LOGO_BYTES: usize = 1024 * 1024;

/// An uploaded file, as the door received it.
#[derive(Debug, Clone)]
pub struct Upload {
    pub bytes: Vec<u8>,
}

/// The image type of `bytes`, from their first bytes: PNG, JPEG, GIF or WebP.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// The content type of an acceptable logo, or the 4xx that refuses it.
pub fn check(upload: &Upload) -> ApiResult<&'static str> {
    if upload.bytes.is_empty() {
        return Err(ApiError::invalid("body.file", "The logo file is empty"));
    }
    if upload.bytes.len() > MAX_LOGO_BYTES {
        return Err(ApiError::PayloadTooLarge);
    }
    image_type(&upload.bytes).ok_or_else(|| {
        ApiError::invalid(
            "body.file",
            "The logo must be a PNG, JPEG, GIF or WebP image",
        )
    })
}

/// Stores a checked logo as the app's image.
pub async fn store(
    state: &AppState,
    caller: &Caller,
    app_id: &str,
    upload: Upload,
    content_type: &str,
) -> ApiResult<()> {
    let command = AppCommand::StoreLogo {
        uid: caller.uid.clone(),
        logo_id: uuid::Uuid::new_v4().simple().to_string(),
        content_type: content_type.to_string(),
        data: base64::engine::general_purpose::STANDARD.encode(&upload.bytes),
        at: now(),
    };
    state
        .execute::<App>(app_id, command, &caller.metadata)
        .await?;
    Ok(())
}

/// The bytes and content type of the logo `logo_id`, or 404.
pub async fn read(state: &AppState, logo_id: &str) -> ApiResult<(String, Vec<u8>)> {
    let not_found = || ApiError::NotFound("Logo not found".into());
    let logo = omi_projections::apps::logo(&state.database, logo_id)
        .await?
        .ok_or_else(not_found)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(logo.data.as_bytes())
        .map_err(|_| not_found())?;
    Ok((logo.content_type, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logos_are_recognized_by_their_bytes() {
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\nrest"), Some("image/png"));
        assert_eq!(image_type(&[0xff, 0xd8, 0xff, 0xe0]), Some("image/jpeg"));
        assert_eq!(image_type(b"<svg onload=alert(1)>"), None);
        assert!(check(&Upload { bytes: vec![] }).is_err());
        let mut huge = b"\x89PNG\r\n\x1a\n".to_vec();
        huge.resize(MAX_LOGO_BYTES + 1, 0);
        assert!(matches!(
            check(&Upload { bytes: huge }),
            Err(ApiError::PayloadTooLarge)
        ));
    }
}
