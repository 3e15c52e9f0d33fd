//! Recognising a numbering label (or a Markdown heading / bullet marker) at the start of a line.
//!
//! Shared by normalisation (a labelled line starts a new unit, so it is never joined onto the
//! previous line) and structure (the label decides the node). Only the start of a line is looked
//! at, so the cost per line is constant whatever the line length.

use crate::document::Scheme;

/// What a label looks like beyond its scheme; two labels share a hierarchy level only if their
/// [`Key`]s are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Style {
    Plain,
    /// Only a closing bracket, as in `1)` or `ア)`: visually distinct from `(1)`.
    HalfParen,
    /// Capital Roman numerals (Ⅰ) rank differently from small ones (ⅰ).
    Capital,
}

/// The hierarchy key of a line marker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    Numbered(Scheme, Style),
    /// A Markdown heading without numbering, by its `#` count.
    Markdown(u8),
    /// A bullet, by its glyph (`-` and `・` lists are different lists).
    Bullet(char),
}

/// A marker found at the start of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Marker {
    pub key: Key,
    /// Ordinal for numbered labels; 0 for Markdown headings and bullets (counted by the caller).
    pub ordinal: u32,
    /// Byte range of the label as written (`(１)`, `第２章`, `##` or `・`) within the line.
    pub label: std::ops::Range<usize>,
    /// Byte offset in the line where the text after the label and its separator starts.
    pub text_start: usize,
    /// Number of `#` if the line is a Markdown heading (numbered or not).
    pub markdown: Option<u8>,
}

impl Marker {
    pub fn scheme(&self) -> Scheme {
        match self.key {
            Key::Numbered(s, _) => s,
            Key::Markdown(_) => Scheme::MarkdownHeading,
            Key::Bullet(_) => Scheme::Bullet,
        }
    }

    pub fn is_bullet(&self) -> bool {
        matches!(self.key, Key::Bullet(_))
    }
}

const KATAKANA_ORDER: &str =
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン";

pub(crate) fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{3000}' | '\u{a0}')
}

fn is_hiragana(c: char) -> bool {
    ('\u{3041}'..='\u{309f}').contains(&c)
}

/// Characters that, right after a would-be label, show it is a reference inside a sentence
/// (「第２章に定める」, 「(1)の分類」, 「①から③まで」) rather than a label.
fn continues_sentence(c: char) -> bool {
    is_hiragana(c)
        || matches!(
            c,
            '、' | '。' | '，' | '．' | ',' | '及' | '又' | '並' | '若' | '等'
        )
}

fn digit_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        '０'..='９' => Some(c as u32 - '０' as u32),
        _ => None,
    }
}

/// Parses 1–3 Arabic digits (half or full width) at the start of `s`: (value, byte length).
fn arabic(s: &str, max_digits: usize) -> Option<(u32, usize)> {
    let mut value = 0u32;
    let mut len = 0;
    let mut count = 0;
    for c in s.chars() {
        let Some(d) = digit_value(c) else { break };
        count += 1;
        if count > max_digits {
            return None;
        }
        value = value * 10 + d;
        len += c.len_utf8();
    }
    (count > 0).then_some((value, len))
}

/// Parses a kanji numeral up to 99 (一, 十二, 二十三).
fn kanji(s: &str) -> Option<(u32, usize)> {
    let mut value = 0u32;
    let mut current = 0u32;
    let mut len = 0;
    for c in s.chars() {
        let d = match c {
            '〇' | '零' => 0,
            '一' => 1,
            '二' => 2,
            '三' => 3,
            '四' => 4,
            '五' => 5,
            '六' => 6,
            '七' => 7,
            '八' => 8,
            '九' => 9,
            '十' => {
                value += if current == 0 { 10 } else { current * 10 };
                current = 0;
                len += c.len_utf8();
                if value > 99 {
                    return None;
                }
                continue;
            }
            _ => break,
        };
        current = current * 10 + d;
        if current > 99 {
            return None;
        }
        len += c.len_utf8();
    }
    (len > 0).then_some((value + current, len))
}

fn number(s: &str) -> Option<(u32, usize)> {
    arabic(s, 3).or_else(|| kanji(s))
}

fn katakana_ordinal(c: char) -> Option<u32> {
    KATAKANA_ORDER
        .chars()
        .position(|k| k == c)
        .map(|p| p as u32 + 1)
}

/// Small (ⅰ) or capital (Ⅰ) Roman numeral characters.
fn roman_char(c: char) -> Option<(u32, Style)> {
    match c {
        '\u{2170}'..='\u{217b}' => Some((c as u32 - 0x2170 + 1, Style::Plain)),
        '\u{2160}'..='\u{216b}' => Some((c as u32 - 0x2160 + 1, Style::Capital)),
        _ => None,
    }
}

fn ascii_roman(s: &str) -> Option<u32> {
    const ROMANS: [&str; 20] = [
        "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii", "xiv",
        "xv", "xvi", "xvii", "xviii", "xix", "xx",
    ];
    ROMANS.iter().position(|r| *r == s).map(|p| p as u32 + 1)
}

fn circled(c: char) -> Option<u32> {
    match c {
        '\u{2460}'..='\u{2473}' => Some(c as u32 - 0x2460 + 1),
        '\u{3251}'..='\u{325f}' => Some(c as u32 - 0x3251 + 21),
        '\u{32b1}'..='\u{32bf}' => Some(c as u32 - 0x32b1 + 36),
        _ => None,
    }
}

/// A numbered label at the very start of `s`: (scheme, style, ordinal, byte length).
fn numbered(s: &str) -> Option<(Scheme, Style, u32, usize)> {
    let mut chars = s.chars();
    let first = chars.next()?;
    let after = |len: usize| s[len..].chars().next();

    if first == '附' || first == '別' {
        return annex(s);
    }

    // 第N章・節・条・項
    if first == '第' {
        let rest = &s[first.len_utf8()..];
        let (n, nlen) = number(rest)?;
        let suffix = rest[nlen..].chars().next()?;
        let scheme = match suffix {
            '章' => Scheme::Chapter,
            '節' => Scheme::Part,
            '条' => Scheme::Article,
            '項' => Scheme::Paragraph,
            _ => return None,
        };
        let mut len = first.len_utf8() + nlen + suffix.len_utf8();
        // A branch article inserted by amendment (第３条の２, even 第３条の２の３) is an article
        // of its own, ranked like the others; `の` followed by anything but a number is a
        // reference (第３条の規定により).
        if scheme == Scheme::Article {
            while let Some(rest) = s[len..].strip_prefix('の') {
                let Some((_, blen)) = number(rest) else { break };
                len += 'の'.len_utf8() + blen;
            }
        }
        if after(len).is_some_and(continues_sentence) {
            return None;
        }
        return Some((scheme, Style::Plain, n, len));
    }

    // (1) （１） (ア) (ⅰ) (i)
    if first == '(' || first == '（' {
        let inner_start = first.len_utf8();
        // Labels are short: look for the closing bracket only in the next few chars, so a line
        // that opens a bracket and never closes it costs nothing.
        let close = s[inner_start..]
            .char_indices()
            .take(6)
            .find(|&(_, c)| c == ')' || c == '）')
            .map(|(i, _)| i)?;
        let inner = &s[inner_start..inner_start + close];
        let close_len = s[inner_start + close..].chars().next()?.len_utf8();
        let len = inner_start + close + close_len;
        let (scheme, style, n) = if let Some((n, l)) = arabic(inner, 3) {
            if l != inner.len() {
                return None;
            }
            (Scheme::ParenArabic, Style::Plain, n)
        } else {
            let mut ic = inner.chars();
            let c = ic.next()?;
            if ic.next().is_none() {
                if let Some(n) = katakana_ordinal(c) {
                    (Scheme::ParenKatakana, Style::Plain, n)
                } else if let Some((n, style)) = roman_char(c) {
                    (Scheme::ParenRoman, style, n)
                } else if let Some(n) = ascii_roman(inner) {
                    (Scheme::ParenRoman, Style::Plain, n)
                } else {
                    return None;
                }
            } else {
                (Scheme::ParenRoman, Style::Plain, ascii_roman(inner)?)
            }
        };
        if after(len).is_some_and(continues_sentence) {
            return None;
        }
        return Some((scheme, style, n, len));
    }

    // ⑴ (one char, parenthesised digit) and ⒈ (digit full stop)
    if ('\u{2474}'..='\u{2487}').contains(&first) || ('\u{2488}'..='\u{249b}').contains(&first) {
        let (scheme, n) = if first <= '\u{2487}' {
            (Scheme::ParenArabic, first as u32 - 0x2474 + 1)
        } else {
            (Scheme::Arabic, first as u32 - 0x2488 + 1)
        };
        let len = first.len_utf8();
        if after(len).is_some_and(continues_sentence) {
            return None;
        }
        return Some((scheme, Style::Plain, n, len));
    }

    if let Some(n) = circled(first) {
        let len = first.len_utf8();
        if after(len).is_some_and(continues_sentence) {
            return None;
        }
        return Some((Scheme::Circled, Style::Plain, n, len));
    }

    // 1 / １ / 1. / １． / 1)
    if let Some((n, nlen)) = arabic(s, 3) {
        return match after(nlen) {
            Some(c @ ('.' | '．')) => {
                let len = nlen + c.len_utf8();
                // `1.5` is a number, not a label.
                if after(len).is_some_and(|c| digit_value(c).is_some()) {
                    None
                } else {
                    Some((Scheme::Arabic, Style::Plain, n, len))
                }
            }
            Some(c @ (')' | '）')) => {
                let len = nlen + c.len_utf8();
                if after(len).is_some_and(continues_sentence) {
                    None
                } else {
                    Some((Scheme::ParenArabic, Style::HalfParen, n, len))
                }
            }
            // A bare number must be followed by a separator (「３の脅威」 is not a label) or end
            // the line (a lone 「１」 the normaliser kept as a split heading).
            None => Some((Scheme::Arabic, Style::Plain, n, nlen)),
            Some(c) if is_space(c) => Some((Scheme::Arabic, Style::Plain, n, nlen)),
            Some(_) => None,
        };
    }

    // 一 / 十一: the 号 of a 例規 article. Only with a separator after it, as kanji numerals open
    // plenty of words (一部, 十分, 三者).
    if let Some((n, nlen)) = kanji(s) {
        return match after(nlen) {
            Some(c) if n > 0 && is_space(c) => Some((Scheme::KanjiNumeral, Style::Plain, n, nlen)),
            _ => None,
        };
    }

    // ア / ア. / ア)  and  ⅰ / Ⅰ
    let single = if let Some(n) = katakana_ordinal(first) {
        Some((Scheme::Katakana, Style::Plain, n))
    } else {
        roman_char(first).map(|(n, style)| (Scheme::Roman, style, n))
    };
    if let Some((scheme, style, n)) = single {
        let len = first.len_utf8();
        return match after(len) {
            Some(c) if is_space(c) => Some((scheme, style, n, len)),
            Some(c @ ('.' | '．')) => Some((scheme, style, n, len + c.len_utf8())),
            Some(c @ (')' | '）')) if scheme == Scheme::Katakana => Some((
                Scheme::ParenKatakana,
                Style::HalfParen,
                n,
                len + c.len_utf8(),
            )),
            Some(c @ (')' | '）')) => {
                Some((Scheme::ParenRoman, Style::HalfParen, n, len + c.len_utf8()))
            }
            // A lone Roman numeral may be a split heading; a lone katakana is a word.
            None if scheme == Scheme::Roman => Some((scheme, style, n, len)),
            _ => None,
        };
    }
    None
}

/// 「附則」 (also spaced out, 「附　則」) and 「別表」, 「別表第１」, 「別表２」: the parts of a 例規
/// after its articles. A plain 附則 or 別表 has ordinal 0 (counted by the caller).
fn annex(s: &str) -> Option<(Scheme, Style, u32, usize)> {
    let (scheme, n, len) = if let Some(rest) = s.strip_prefix('附') {
        let gap = skip_spaces(rest, 0);
        if gap > 3 || !rest[gap..].starts_with('則') {
            return None;
        }
        (
            Scheme::SupplementaryProvisions,
            0,
            '附'.len_utf8() + gap + '則'.len_utf8(),
        )
    } else {
        let rest = s.strip_prefix("別表")?;
        let dai = rest.strip_prefix('第').map_or(0, |_| '第'.len_utf8());
        match number(&rest[dai..]) {
            Some((n, nlen)) if n > 0 => (Scheme::Appendix, n, "別表".len() + dai + nlen),
            _ if dai > 0 => return None,
            _ => (Scheme::Appendix, 0, "別表".len()),
        }
    };
    // Only a heading line: 「別表のとおり」 and 「附則に定める」 are references.
    match s[len..].chars().next() {
        None => Some((scheme, Style::Plain, n, len)),
        Some(c) if is_space(c) || c == '（' || c == '(' => Some((scheme, Style::Plain, n, len)),
        Some(_) => None,
    }
}

fn skip_spaces(s: &str, mut at: usize) -> usize {
    while let Some(c) = s[at..].chars().next() {
        if !is_space(c) {
            break;
        }
        at += c.len_utf8();
    }
    at
}

/// Finds the marker at the start of `line` (already trimmed of leading blanks).
pub(crate) fn parse(line: &str) -> Option<Marker> {
    let mut at = 0;
    let mut markdown = None;
    let mut bullet = None;

    let hashes = line.bytes().take_while(|&b| b == b'#').count();
    if (1..=6).contains(&hashes) {
        let rest = &line[hashes..];
        if rest.is_empty() || rest.starts_with([' ', '\t']) {
            markdown = Some(hashes as u8);
            at = skip_spaces(line, hashes);
        }
    }
    if markdown.is_none() {
        let first = line.chars().next()?;
        let len = first.len_utf8();
        match first {
            // ASCII bullets need a space, or 「-3-」 and 「*注」 would be lists.
            '-' | '*' | '+' if line[len..].starts_with([' ', '\t', '\u{3000}']) => {
                bullet = Some(('-', 0..len));
                at = skip_spaces(line, len);
            }
            '・' | '•' | '●' | '○' | '◆' | '◇' | '■' | '□' | '▪' | '◎' => {
                bullet = Some((first, 0..len));
                at = skip_spaces(line, len);
            }
            _ => {}
        }
    }

    if let Some((scheme, style, ordinal, len)) = numbered(&line[at..]) {
        let label = at..at + len;
        let text_start = skip_spaces(line, at + len);
        return Some(Marker {
            key: Key::Numbered(scheme, style),
            ordinal,
            label,
            text_start,
            markdown,
        });
    }
    if let Some(level) = markdown {
        return Some(Marker {
            key: Key::Markdown(level),
            ordinal: 0,
            label: 0..level as usize,
            text_start: at,
            markdown,
        });
    }
    bullet.map(|(c, label)| Marker {
        key: Key::Bullet(c),
        ordinal: 0,
        label,
        text_start: at,
        markdown: None,
    })
}

/// A table's header row as PDF extraction leaves it: three or more short cells separated by
/// spaces (「分類 分類基準 取扱制限」, 「文 書 名 内 容」), no punctuation, no digits.
pub(crate) fn is_table_header(line: &str) -> bool {
    if line.chars().count() > 30 {
        return false;
    }
    let mut cells = 0;
    for cell in line.split(is_space).filter(|c| !c.is_empty()) {
        let n = cell.chars().count();
        if n > 6
            || cell.is_ascii()
            || cell.chars().any(|c| {
                c.is_ascii_digit() || ('０'..='９').contains(&c) || "、。，．・：:".contains(c)
            })
        {
            return false;
        }
        cells += 1;
    }
    cells >= 3
}

/// A 例規 caption (見出し) line, 「（目的）」: a short bracketed phrase alone on its line. Returns
/// the byte range of the phrase inside the brackets.
pub(crate) fn caption(line: &str) -> Option<std::ops::Range<usize>> {
    let open = line.chars().next().filter(|&c| c == '（' || c == '(')?;
    let close = line
        .chars()
        .next_back()
        .filter(|&c| c == '）' || c == ')')?;
    let inner = line.get(open.len_utf8()..line.len() - close.len_utf8())?;
    let count = inner.chars().count();
    let plain = !inner.contains(['（', '）', '(', ')', '。']);
    ((1..=30).contains(&count) && plain && !inner.trim_matches(is_space).is_empty())
        .then(|| open.len_utf8()..open.len_utf8() + inner.len())
}

/// A caption written on the article's own line, 「第１条（目的）　この方針は…」: `rest` is the
/// text after the label. Returns the phrase's range inside the brackets and where the text after
/// the caption starts.
pub(crate) fn inline_caption(rest: &str) -> Option<(std::ops::Range<usize>, usize)> {
    let (close, c) = rest
        .char_indices()
        .take(32)
        .find(|&(_, c)| c == '）' || c == ')')?;
    let end = close + c.len_utf8();
    let inner = caption(&rest[..end])?;
    match rest[end..].chars().next() {
        None => Some((inner, end)),
        Some(c) if is_space(c) => Some((inner, skip_spaces(rest, end))),
        Some(_) => None,
    }
}

/// The label as it goes into a numbering path: as written, with brackets made half-width and a
/// trailing full stop dropped, so `（１）` and `(１)` give the same path and `1.` gives `1`.
pub(crate) fn path_component(label: &str) -> String {
    let mut out: String = label
        .chars()
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            c => c,
        })
        .collect();
    // 「附　則」 is spaced out for looks only.
    out.retain(|c| !is_space(c));
    while out.ends_with(['.', '．']) && out.chars().count() > 1 {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(line: &str) -> Option<(Scheme, u32, String)> {
        parse(line).map(|m| (m.scheme(), m.ordinal, line[m.label.clone()].to_owned()))
    }

    #[test]
    fn kanji_numerals_parse_up_to_ninety_nine() {
        assert_eq!(kanji("十二章"), Some((12, 6)));
        assert_eq!(kanji("二十三"), Some((23, 9)));
        assert_eq!(kanji("一"), Some((1, 3)));
    }

    #[test]
    fn references_inside_sentences_are_not_labels() {
        assert_eq!(key("第２章に定める"), None);
        assert_eq!(key("(１)の分類に基づき"), None);
        assert_eq!(key("３の脅威から"), None);
        assert_eq!(key("①から③まで"), None);
        assert_eq!(key("1.5倍"), None);
        assert_eq!(key("アクセス制御"), None);
    }

    #[test]
    fn each_scheme_is_recognised() {
        assert_eq!(
            key("第２章 基準"),
            Some((Scheme::Chapter, 2, "第２章".into()))
        );
        assert_eq!(
            key("第十条 目的"),
            Some((Scheme::Article, 10, "第十条".into()))
        );
        assert_eq!(key("１０ 実施"), Some((Scheme::Arabic, 10, "１０".into())));
        assert_eq!(key("## 1. 目的"), Some((Scheme::Arabic, 1, "1.".into())));
        assert_eq!(
            key("（１３） 無害化"),
            Some((Scheme::ParenArabic, 13, "（１３）".into()))
        );
        assert_eq!(key("⑳ 最後"), Some((Scheme::Circled, 20, "⑳".into())));
        assert_eq!(key("ウ 技術"), Some((Scheme::Katakana, 3, "ウ".into())));
        assert_eq!(
            key("(イ) 項目"),
            Some((Scheme::ParenKatakana, 2, "(イ)".into()))
        );
        assert_eq!(key("ⅲ 統括"), Some((Scheme::Roman, 3, "ⅲ".into())));
        assert_eq!(
            key("(iv) 項目"),
            Some((Scheme::ParenRoman, 4, "(iv)".into()))
        );
        assert_eq!(key("- ②L G W A N"), Some((Scheme::Circled, 2, "②".into())));
        assert_eq!(key("・障害の内容"), Some((Scheme::Bullet, 0, "・".into())));
        assert_eq!(
            key("### 見出し"),
            Some((Scheme::MarkdownHeading, 0, "###".into()))
        );
    }

    #[test]
    fn kanji_numerals_followed_by_a_separator_are_labels() {
        assert_eq!(
            key("一　ネットワーク"),
            Some((Scheme::KanjiNumeral, 1, "一".into()))
        );
        assert_eq!(
            key("十一 情報"),
            Some((Scheme::KanjiNumeral, 11, "十一".into()))
        );
        assert_eq!(
            key("二\t情報システム"),
            Some((Scheme::KanjiNumeral, 2, "二".into()))
        );
        assert_eq!(key("一部事務組合"), None);
        assert_eq!(key("十分な対策"), None);
        assert_eq!(key("一、目的"), None);
        assert_eq!(key("〇 零"), None);
    }

    #[test]
    fn branch_articles_are_articles_and_references_to_them_are_not() {
        assert_eq!(
            key("第３条の２　職員は"),
            Some((Scheme::Article, 3, "第３条の２".into()))
        );
        assert_eq!(
            key("第十条の二の三 雑則"),
            Some((Scheme::Article, 10, "第十条の二の三".into()))
        );
        assert_eq!(key("第３条の２に規定する"), None);
        assert_eq!(key("第３条の規定により"), None);
    }

    #[test]
    fn supplementary_provisions_and_appendices_are_labels_only_as_headings() {
        assert_eq!(
            key("附　則"),
            Some((Scheme::SupplementaryProvisions, 0, "附　則".into()))
        );
        assert_eq!(
            key("附則（平成２７年訓令第５号）"),
            Some((Scheme::SupplementaryProvisions, 0, "附則".into()))
        );
        assert_eq!(
            key("別表（第２条関係）"),
            Some((Scheme::Appendix, 0, "別表".into()))
        );
        assert_eq!(
            key("別表第２　区分"),
            Some((Scheme::Appendix, 2, "別表第２".into()))
        );
        assert_eq!(key("別表のとおり"), None);
        assert_eq!(key("附則に定める"), None);
        assert_eq!(key("附属機関"), None);
        assert_eq!(key("別途定める"), None);
        assert_eq!(path_component("附　則"), "附則");
    }

    #[test]
    fn inline_captions_need_a_separator_after_them() {
        let s = "（目的）　この方針は定める。";
        let (inner, text) = inline_caption(s).expect("caption");
        assert_eq!((&s[inner], &s[text..]), ("目的", "この方針は定める。"));
        assert_eq!(inline_caption("（以下「本町」という。）は"), None);
        assert_eq!(inline_caption("（目的）を定める。"), None);
    }

    #[test]
    fn captions_are_short_bracketed_phrases_alone_on_a_line() {
        let inner = |s: &'static str| caption(s).map(|r| &s[r]);
        assert_eq!(inner("（目的）"), Some("目的"));
        assert_eq!(inner("(定義等)"), Some("定義等"));
        assert_eq!(inner("（以下「本町」という。）"), None);
        assert_eq!(inner("（１）（２）"), None);
        assert_eq!(inner("（　）"), None);
        assert_eq!(inner("（目的）この方針は"), None);
    }

    #[test]
    fn table_headers_are_short_spaced_cells() {
        assert!(is_table_header("分類 分類基準 取扱制限"));
        assert!(is_table_header("文 書 名 内 容"));
        assert!(!is_table_header("令和 8年 3月"));
        assert!(!is_table_header("機密性３ 行政事務で取り扱う情報"));
        assert!(!is_table_header("L G W A N"));
    }

    #[test]
    fn path_components_have_half_width_brackets_and_no_full_stop() {
        assert_eq!(path_component("（１）"), "(１)");
        assert_eq!(path_component("1."), "1");
        assert_eq!(path_component("１．"), "１");
    }
}
