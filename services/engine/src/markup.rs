//! Markup stripping (HTML) into mapped plain text. (stub: owned by the decode work)

use crate::decode::Decoded;
use crate::text::MappedText;

pub fn to_text(decoded: &Decoded) -> MappedText {
    MappedText::identity(&decoded.text)
}
