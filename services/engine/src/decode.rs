//! Encoding and format detection.
//!
//! Policies arrive as whatever the body's CMS or a clerk's PC produced: UTF-8 (with or without a
//! BOM), UTF-16 from Windows tools, Shift_JIS (really CP932) or EUC-JP from older systems. Callers
//! rarely know which, so detection never depends on being told. The decoded text is kept exactly as
//! decoded (CRLF included, only a BOM removed) because every later range points into it.

use encoding_rs::{DecoderResult, EUC_JP, SHIFT_JIS, UTF_16BE, UTF_16LE};

use crate::document::{Encoding, Format, SourceMeta};
use crate::error::EngineError;

/// Decoded input: the original text every later range points into.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub meta: SourceMeta,
}

/// Decodes `bytes` and detects their format. `hint` (a file name or media type) may pick the
/// format when the content is ambiguous, but never the encoding.
pub fn decode(bytes: &[u8], hint: Option<&str>) -> Result<Decoded, EngineError> {
    if bytes.is_empty() {
        return Err(EngineError::EmptyInput);
    }
    let (text, encoding, had_bom) = decode_text(bytes)?;
    let format = detect_format(&text, hint);
    Ok(Decoded {
        meta: SourceMeta {
            encoding,
            had_bom,
            format,
            bytes: bytes.len(),
        },
        text,
    })
}

fn undecodable(reason: impl Into<String>) -> EngineError {
    EngineError::Undecodable {
        reason: reason.into(),
    }
}

fn decode_text(bytes: &[u8]) -> Result<(String, Encoding, bool), EngineError> {
    if let Some(kind) = known_binary_format(bytes) {
        return Err(undecodable(format!(
            "looks like {kind}; extract its text first"
        )));
    }

    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        let text = std::str::from_utf8(rest).map_err(|e| {
            undecodable(format!(
                "starts with a UTF-8 byte order mark but has an invalid UTF-8 sequence at offset {}",
                e.valid_up_to() + 3
            ))
        })?;
        check_text_like(text)?;
        return Ok((text.to_owned(), Encoding::Utf8, true));
    }
    for (bom, enc, encoding, name) in [
        (b"\xFF\xFE", UTF_16LE, Encoding::Utf16Le, "UTF-16LE"),
        (b"\xFE\xFF", UTF_16BE, Encoding::Utf16Be, "UTF-16BE"),
    ] {
        if let Some(rest) = bytes.strip_prefix(bom) {
            let text = decode_strict(enc, rest).map_err(|at| {
                undecodable(format!(
                    "starts with a {name} byte order mark but has an invalid {name} sequence at offset {}",
                    at + 2
                ))
            })?;
            check_text_like(&text)?;
            return Ok((text, encoding, true));
        }
    }

    // NUL bytes never occur in the byte-oriented encodings' text, so they mean UTF-16 without a
    // BOM or binary data. This must come before the UTF-8 check: UTF-16 of ASCII is valid UTF-8.
    if let Some(first_nul) = bytes.iter().position(|&b| b == 0) {
        if let Some(found) = utf16_without_bom(bytes) {
            return Ok(found);
        }
        return Err(undecodable(format!(
            "binary data (NUL byte at offset {first_nul})"
        )));
    }

    let utf8_error = match std::str::from_utf8(bytes) {
        Ok(text) => {
            check_text_like(text)?;
            return Ok((text.to_owned(), Encoding::Utf8, false));
        }
        Err(e) => e.valid_up_to(),
    };

    let mut best: Option<(f64, String, Encoding)> = None;
    let mut errors = Vec::new();
    for (enc, encoding, name) in [
        (SHIFT_JIS, Encoding::ShiftJis, "Shift_JIS"),
        (EUC_JP, Encoding::EucJp, "EUC-JP"),
    ] {
        match decode_strict(enc, bytes) {
            Ok(text) => {
                let score = japanese_score(&text);
                // Strictly greater: on a tie the earlier (more common) candidate wins.
                if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
                    best = Some((score, text, encoding));
                }
            }
            Err(at) => errors.push(format!("{name} at offset {at}")),
        }
    }
    match best {
        Some((_, text, encoding)) => {
            check_text_like(&text)?;
            Ok((text, encoding, false))
        }
        None => Err(undecodable(format!(
            "invalid byte sequence for every candidate encoding (UTF-8 at offset {utf8_error}, {})",
            errors.join(", ")
        ))),
    }
}

/// Names a binary file format recognised by its signature, so the error says what was sent.
fn known_binary_format(bytes: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"%PDF-", "a PDF file"),
        (b"PK\x03\x04", "a ZIP archive (DOCX, XLSX, ODT, ...)"),
        (b"PK\x05\x06", "a ZIP archive (DOCX, XLSX, ODT, ...)"),
        (
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            "a legacy Microsoft Office file (DOC, XLS)",
        ),
        (b"{\\rtf", "an RTF file"),
        (b"\x89PNG", "a PNG image"),
        (b"GIF8", "a GIF image"),
        (b"\xFF\xD8\xFF", "a JPEG image"),
        (b"\x1F\x8B", "gzip-compressed data"),
        (b"7z\xBC\xAF\x27\x1C", "a 7-Zip archive"),
    ];
    SIGNATURES
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
        .map(|&(_, kind)| kind)
}

/// Decodes without replacement; on error returns the byte offset of the first malformed sequence.
fn decode_strict(enc: &'static encoding_rs::Encoding, bytes: &[u8]) -> Result<String, usize> {
    let mut decoder = enc.new_decoder_without_bom_handling();
    let Some(capacity) = decoder.max_utf8_buffer_length_without_replacement(bytes.len()) else {
        return Err(0);
    };
    let mut out = String::with_capacity(capacity);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut out, true);
    match result {
        DecoderResult::InputEmpty => Ok(out),
        DecoderResult::Malformed(bad, extra) => {
            Err(read.saturating_sub(usize::from(bad) + usize::from(extra)))
        }
        // Cannot happen with the maximal buffer; report where decoding stopped rather than panic.
        DecoderResult::OutputFull => Err(read),
    }
}

/// UTF-16 without a BOM, recognised by NULs sitting almost only in one byte of each pair (the
/// high byte of ASCII characters: line breaks, digits and spaces occur in any real document).
fn utf16_without_bom(bytes: &[u8]) -> Option<(String, Encoding, bool)> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let sample = &bytes[..bytes.len().min(16 * 1024)];
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in sample.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    let (enc, encoding) = if odd >= 2 && even * 4 < odd {
        (UTF_16LE, Encoding::Utf16Le)
    } else if even >= 2 && odd * 4 < even {
        (UTF_16BE, Encoding::Utf16Be)
    } else {
        return None;
    };
    let text = decode_strict(enc, bytes).ok()?;
    // Binary data with a regular NUL pattern can decode as UTF-16 too; only accept real text.
    if check_text_like(&text).is_err() || japanese_score(&text) < 0.5 {
        return None;
    }
    Some((text, encoding, false))
}

/// How much a decoding looks like Japanese (or ASCII) text: the mean weight of its chars.
///
/// The weights separate the usual wrong guesses: EUC-JP read as Shift_JIS turns hiragana into
/// half-width katakana, and either misreading produces private-use or C1 control characters.
fn japanese_score(text: &str) -> f64 {
    let mut total = 0i64;
    let mut chars = 0i64;
    for c in text.chars() {
        chars += 1;
        total += match c {
            '\t' | '\n' | '\r' | ' '..='~' => 1,
            '\u{3000}'..='\u{30FF}' => 3,
            '\u{4E00}'..='\u{9FFF}' => 2,
            '\u{FF01}'..='\u{FF5E}' => 2,
            '\u{FF61}'..='\u{FF9F}' => -1,
            '\u{A0}'..='\u{FF}' => -1,
            '\u{E000}'..='\u{F8FF}' | '\u{FFFD}' => -10,
            c if c.is_control() => -10,
            _ => 0,
        };
    }
    if chars == 0 {
        0.0
    } else {
        total as f64 / chars as f64
    }
}

/// Rejects decodings that are really binary: NUL characters, or many control characters.
fn check_text_like(text: &str) -> Result<(), EngineError> {
    let mut chars = 0usize;
    let mut bad = 0usize;
    for c in text.chars() {
        chars += 1;
        match c {
            '\0' => return Err(undecodable("binary data (NUL characters)")),
            // Form feeds separate pages in extracted text; ^Z ends old DOS files.
            '\t' | '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{1A}' => {}
            c if c.is_control() || c == '\u{FFFD}' => bad += 1,
            _ => {}
        }
    }
    if bad > 0 && bad * 20 >= chars {
        return Err(undecodable(format!(
            "binary data ({bad} control or replacement characters in {chars})"
        )));
    }
    Ok(())
}

/// Detects the markup of decoded text. Content decides; the hint only settles weak evidence.
pub fn detect_format(text: &str, hint: Option<&str>) -> Format {
    let hint = hint.map(|h| h.trim().to_ascii_lowercase());
    let hint = hint.as_deref().unwrap_or("");
    let hint_html = hint.ends_with(".html")
        || hint.ends_with(".htm")
        || hint.ends_with(".xhtml")
        || hint.contains("text/html")
        || hint.contains("application/xhtml");
    let hint_markdown =
        hint.ends_with(".md") || hint.ends_with(".markdown") || hint.contains("text/markdown");

    if looks_like_html(text) || (hint_html && has_any_tag(text)) {
        return Format::Html;
    }
    if hint_markdown || atx_heading_lines(text) >= 2 {
        return Format::Markdown;
    }
    Format::Text
}

fn looks_like_html(text: &str) -> bool {
    let head = prefix_lower(
        text.trim_start_matches(['\u{FEFF}', ' ', '\t', '\r', '\n']),
        4096,
    );
    if head.starts_with("<!doctype html") || head.contains("<html") {
        return true;
    }
    // Fragments (a copied article body) have no doctype: judge by block tags per line. One pass
    // over the `<` positions, case-insensitively: no lowercased copy of the whole text (this runs on
    // every upload). At most one of these tags can start at a given `<`.
    const BLOCK_TAGS: [&[u8]; 12] = [
        b"p>", b"p ", b"div", b"table", b"br", b"tr", b"td", b"li", b"h1", b"h2", b"h3", b"h4",
    ];
    let bytes = text.as_bytes();
    let tags = bytes
        .iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'<')
        .filter(|&(i, _)| {
            let rest = &bytes[i + 1..];
            BLOCK_TAGS
                .iter()
                .any(|t| rest.len() >= t.len() && rest[..t.len()].eq_ignore_ascii_case(t))
        })
        .count();
    let lines = text.lines().count().max(1);
    tags >= 3 && tags * 4 >= lines
}

/// The first `max` bytes (floored to a char boundary), lowercased.
fn prefix_lower(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_ascii_lowercase()
}

fn has_any_tag(text: &str) -> bool {
    text.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
}

fn atx_heading_lines(text: &str) -> usize {
    text.lines()
        .filter(|line| {
            let hashes = line.bytes().take_while(|&b| b == b'#').count();
            (1..=6).contains(&hashes) && line.as_bytes().get(hashes) == Some(&b' ')
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pure_ascii_is_utf8_text() {
        let d = decode(b"hello\r\nworld", None).unwrap();
        assert_eq!(d.meta.encoding, Encoding::Utf8);
        assert_eq!(d.meta.format, Format::Text);
        assert_eq!(d.text, "hello\r\nworld");
    }

    #[test]
    fn utf16le_without_bom_is_recognised_by_nul_pattern() {
        // encoding_rs only encodes to UTF-8 for UTF-16 labels (WHATWG); build the bytes by hand.
        let raw: Vec<u8> = "第１条 この規則は、情報資産を守る。\r\n２ 前項の規定\r\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let d = decode(&raw, None).unwrap();
        assert_eq!(d.meta.encoding, Encoding::Utf16Le);
        assert!(!d.meta.had_bom);
    }

    #[test]
    fn format_detection_uses_content_and_hint() {
        assert_eq!(detect_format("<!DOCTYPE html><p>x", None), Format::Html);
        assert_eq!(detect_format("# a\n## b\n", None), Format::Markdown);
        assert_eq!(detect_format("# a\ntext\n", Some("a.md")), Format::Markdown);
        assert_eq!(detect_format("<b>x</b>", Some("text/html")), Format::Html);
        assert_eq!(detect_format("plain", Some("x.html")), Format::Text);
        assert_eq!(detect_format("a < b\n", None), Format::Text);
    }
}
