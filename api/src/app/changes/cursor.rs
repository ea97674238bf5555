//! The change feed's cursor: a position in commit order, opaque to clients.
//!
//! It is the base64url text (no padding) of `<transaction>.<position>`: on PostgreSQL the writing transaction's
//! id and the global position, on SQLite 0 and the global position. Any server process on the same store reads
//! it the same way, so a client may page or reconnect through any of them, and after a restart.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use omi_store::LogPosition;

use crate::error::ApiError;

/// Longer text than any cursor the server writes is refused before it is decoded.
const MAX_LEN: usize = 64;

/// The cursor of `position`.
pub fn encode(position: LogPosition) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}.{}", position.transaction, position.global))
}

/// The position a cursor names: absent or empty is the start of the log; anything the server did not write is
/// 400 `{"detail"}`.
pub fn decode(cursor: Option<&str>) -> Result<LogPosition, ApiError> {
    let Some(cursor) = cursor.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(LogPosition::START);
    };
    parse(cursor).ok_or_else(|| {
        ApiError::BadRequest(
            "Invalid cursor: pass back a cursor (or an event's position) the feed gave".into(),
        )
    })
}

fn parse(cursor: &str) -> Option<LogPosition> {
    if cursor.len() > MAX_LEN {
        return None;
    }
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let (transaction, global) = text.split_once('.')?;
    let number = |digits: &str| {
        (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.parse::<i64>().ok())
            .flatten()
    };
    Some(LogPosition {
        transaction: number(transaction)?,
        global: number(global)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_names_the_position_it_was_made_of() {
        for position in [
            LogPosition::START,
            LogPosition {
                transaction: 0,
                global: 42,
            },
            LogPosition {
                transaction: 9_123_456_789,
                global: i64::MAX,
            },
        ] {
            let cursor = encode(position);
            assert!(cursor
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            assert_eq!(decode(Some(&cursor)).unwrap(), position);
        }
    }

    #[test]
    fn no_cursor_is_the_start() {
        assert_eq!(decode(None).unwrap(), LogPosition::START);
        assert_eq!(decode(Some("  ")).unwrap(), LogPosition::START);
    }

    #[test]
    fn text_the_server_did_not_write_is_refused() {
        let forged = |text: &str| URL_SAFE_NO_PAD.encode(text);
        for bad in [
            "not a cursor!".to_string(),
            "%%%".to_string(),
            forged("12"),
            forged("1.2.3"),
            forged("-1.2"),
            forged("1.+2"),
            forged(".2"),
            forged("1.99999999999999999999"),
            forged("1.2\0"),
            "A".repeat(MAX_LEN + 1),
        ] {
            assert!(
                matches!(decode(Some(&bad)), Err(ApiError::BadRequest(_))),
                "{bad:?} was taken"
            );
        }
    }
}
