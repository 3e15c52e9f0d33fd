//! Validated text from users: names, titles, email addresses and file names.
//!
//! Each type is parsed once, where the value enters a use-case, and is from then on known to be
//! trimmed, non-empty, within its length limit and free of control characters. So the store never
//! sees a NUL byte (PostgreSQL refuses them in text columns; SQLite would keep them) nor a
//! 400,000-character name, and the refusal is one [`ErrorCode::InvalidArgument`] with a plain
//! Japanese sentence on both backends.
//!
//! "Control characters" are the Unicode `Cc` characters (C0, DEL, C1: NUL, tab, newline, escape, …),
//! the line and paragraph separators and the bidirectional embedding, override and isolate
//! characters (which can make a name display as something else).

use std::fmt;

use crate::ErrorCode;

/// Which value was refused (for the message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextField {
    KeyName,
    DisplayName,
    Email,
    DocumentTitle,
    FileName,
}

impl TextField {
    /// The value's name in end-user messages.
    pub const fn label_ja(self) -> &'static str {
        match self {
            TextField::KeyName => "API キーの名前",
            TextField::DisplayName => "表示名",
            TextField::Email => "メールアドレス",
            TextField::DocumentTitle => "題名",
            TextField::FileName => "ファイル名",
        }
    }
}

/// Why a value was refused. Its `Display` is the Japanese sentence shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidText {
    /// Empty or only whitespace.
    Empty(TextField),
    /// Longer than `max` characters (bytes for email addresses).
    TooLong { field: TextField, max: usize },
    /// Contains a control character.
    ControlCharacter(TextField),
    /// Not of the value's form (an email address without a domain, …).
    Malformed(TextField),
}

impl InvalidText {
    pub const fn field(&self) -> TextField {
        match self {
            InvalidText::Empty(f)
            | InvalidText::TooLong { field: f, .. }
            | InvalidText::ControlCharacter(f)
            | InvalidText::Malformed(f) => *f,
        }
    }

    /// Always [`ErrorCode::InvalidArgument`].
    pub const fn code(&self) -> ErrorCode {
        ErrorCode::InvalidArgument
    }
}

impl fmt::Display for InvalidText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let label = self.field().label_ja();
        match self {
            InvalidText::Empty(_) => write!(f, "{label}を入力してください。"),
            InvalidText::TooLong {
                field: TextField::Email,
                max,
            } => write!(f, "{label}が長すぎます（{max}バイトまで）。"),
            InvalidText::TooLong { max, .. } => {
                write!(f, "{label}は{max}文字以内で指定してください。")
            }
            InvalidText::ControlCharacter(_) => {
                write!(f, "{label}に制御文字（改行やタブなど）は使用できません。")
            }
            InvalidText::Malformed(_) => write!(f, "{label}の形式が正しくありません。"),
        }
    }
}

/// Whether `c` is refused in every validated text (see the module documentation).
pub fn is_forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// `raw` trimmed, non-empty, at most `max` characters, without control characters.
fn bounded(field: TextField, raw: &str, max: usize) -> Result<String, InvalidText> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(InvalidText::Empty(field));
    }
    // A char is at most 4 bytes: a long value is refused without counting it.
    if s.len() > max.saturating_mul(4) || s.chars().count() > max {
        return Err(InvalidText::TooLong { field, max });
    }
    if s.chars().any(is_forbidden_char) {
        return Err(InvalidText::ControlCharacter(field));
    }
    Ok(s.to_owned())
}

macro_rules! text_type {
    ($(#[$meta:meta])* $name:ident, $field:ident, $max:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Longest accepted value, in characters.
            pub const MAX_CHARS: usize = $max;

            /// Trims `raw` and checks it (see the type's documentation).
            pub fn parse(raw: &str) -> Result<Self, InvalidText> {
                bounded(TextField::$field, raw, Self::MAX_CHARS).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<&str> for $name {
            type Error = InvalidText;

            fn try_from(raw: &str) -> Result<Self, InvalidText> {
                Self::parse(raw)
            }
        }
    };
}

text_type!(
    /// An API key's name: 1 to 100 characters, trimmed, no control characters.
    KeyName,
    KeyName,
    100
);

text_type!(
    /// A user's display name: 1 to 100 characters, trimmed, no control characters.
    DisplayName,
    DisplayName,
    100
);

text_type!(
    /// A document's title: 1 to 200 characters, trimmed, no control characters.
    DocumentTitle,
    DocumentTitle,
    200
);

text_type!(
    /// An uploaded file's name (a decoding hint): 1 to 255 characters, trimmed, no control
    /// characters.
    FileName,
    FileName,
    255
);

/// An email address as stored and compared: trimmed and lower-cased, at most 254 bytes (RFC 5321),
/// one `@` between a local part of 1 to 64 bytes and a domain, no whitespace or control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub const MAX_BYTES: usize = 254;
    pub const MAX_LOCAL_BYTES: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, InvalidText> {
        const F: TextField = TextField::Email;
        let s = raw.trim();
        if s.is_empty() {
            return Err(InvalidText::Empty(F));
        }
        if s.len() > Self::MAX_BYTES {
            return Err(InvalidText::TooLong {
                field: F,
                max: Self::MAX_BYTES,
            });
        }
        if s.chars().any(is_forbidden_char) {
            return Err(InvalidText::ControlCharacter(F));
        }
        let s = s.to_lowercase();
        if s.len() > Self::MAX_BYTES {
            return Err(InvalidText::TooLong {
                field: F,
                max: Self::MAX_BYTES,
            });
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err(InvalidText::Malformed(F));
        };
        let malformed = local.is_empty()
            || local.len() > Self::MAX_LOCAL_BYTES
            || domain.is_empty()
            || domain.contains('@')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
            || s.chars().any(char::is_whitespace);
        if malformed {
            return Err(InvalidText::Malformed(F));
        }
        Ok(EmailAddress(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<&str> for EmailAddress {
    type Error = InvalidText;

    fn try_from(raw: &str) -> Result<Self, InvalidText> {
        Self::parse(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_kept() {
        assert_eq!(KeyName::parse("  CI 用 ").unwrap().as_str(), "CI 用");
        // The ideographic space is whitespace too.
        assert_eq!(
            DisplayName::parse("\u{3000}山田 太郎\u{3000}")
                .unwrap()
                .as_str(),
            "山田 太郎"
        );
        assert_eq!(
            DocumentTitle::parse("情報セキュリティ基本方針")
                .unwrap()
                .as_str(),
            "情報セキュリティ基本方針"
        );
    }

    #[test]
    fn empty_and_blank_values_are_refused() {
        for raw in ["", "   ", "\u{3000}", "\n\t"] {
            assert_eq!(
                KeyName::parse(raw),
                Err(InvalidText::Empty(TextField::KeyName)),
                "{raw:?}"
            );
        }
        assert_eq!(
            EmailAddress::parse(" "),
            Err(InvalidText::Empty(TextField::Email))
        );
    }

    #[test]
    fn length_limits_count_characters_not_bytes() {
        assert!(KeyName::parse(&"鍵".repeat(100)).is_ok());
        assert_eq!(
            KeyName::parse(&"鍵".repeat(101)),
            Err(InvalidText::TooLong {
                field: TextField::KeyName,
                max: 100
            })
        );
        assert!(DisplayName::parse(&"a".repeat(100)).is_ok());
        assert!(DisplayName::parse(&"名".repeat(100_000)).is_err());
        assert!(DocumentTitle::parse(&"題".repeat(200)).is_ok());
        assert!(DocumentTitle::parse(&"題".repeat(201)).is_err());
        assert!(FileName::parse(&"f".repeat(255)).is_ok());
        assert!(FileName::parse(&"f".repeat(256)).is_err());
    }

    #[test]
    fn control_characters_are_refused_inside_values() {
        for raw in [
            "a\u{0}b",
            "a\nb",
            "a\tb",
            "a\u{1b}[31mb",
            "a\u{7f}b",
            "a\u{85}b",
            "a\u{2028}b",
            "a\u{202e}b",
            "a\u{2067}b",
        ] {
            assert_eq!(
                DisplayName::parse(raw),
                Err(InvalidText::ControlCharacter(TextField::DisplayName)),
                "{raw:?}"
            );
            assert_eq!(
                FileName::parse(raw),
                Err(InvalidText::ControlCharacter(TextField::FileName)),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn email_addresses_are_lower_cased_and_checked() {
        assert_eq!(
            EmailAddress::parse(" New-User@Example.JP ")
                .unwrap()
                .as_str(),
            "new-user@example.jp"
        );
        assert!(EmailAddress::parse("admin@demo-ken.example").is_ok());
        for raw in [
            "no-at-sign",
            "@example.jp",
            "user@",
            "a@b@example.jp",
            "a b@example.jp",
            "a@.example.jp",
            "a@example.jp.",
            "a@example..jp",
        ] {
            assert_eq!(
                EmailAddress::parse(raw),
                Err(InvalidText::Malformed(TextField::Email)),
                "{raw:?}"
            );
        }
        assert_eq!(
            EmailAddress::parse("a\u{0}@example.jp"),
            Err(InvalidText::ControlCharacter(TextField::Email))
        );
        let long_local = format!("{}@example.jp", "a".repeat(65));
        assert_eq!(
            EmailAddress::parse(&long_local),
            Err(InvalidText::Malformed(TextField::Email))
        );
        let long = format!("a@{}.jp", "b".repeat(250));
        assert_eq!(
            EmailAddress::parse(&long),
            Err(InvalidText::TooLong {
                field: TextField::Email,
                max: 254
            })
        );
    }

    #[test]
    fn messages_are_plain_japanese_sentences() {
        let cases = [
            (
                KeyName::parse("").unwrap_err(),
                "API キーの名前を入力してください。",
            ),
            (
                DisplayName::parse(&"x".repeat(101)).unwrap_err(),
                "表示名は100文字以内で指定してください。",
            ),
            (
                EmailAddress::parse("a\u{0}@example.jp").unwrap_err(),
                "メールアドレスに制御文字（改行やタブなど）は使用できません。",
            ),
            (
                EmailAddress::parse("x").unwrap_err(),
                "メールアドレスの形式が正しくありません。",
            ),
            (
                EmailAddress::parse(&format!("a@{}", "b".repeat(300))).unwrap_err(),
                "メールアドレスが長すぎます（254バイトまで）。",
            ),
        ];
        for (e, message) in cases {
            assert_eq!(e.to_string(), message);
            assert_eq!(e.code(), ErrorCode::InvalidArgument);
        }
    }
}
