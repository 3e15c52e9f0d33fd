//! Form rewrites: change how a policy is written, never what it says.
//!
//! Written for texts shaped like the seeds (Markdown-ish headings `## 1. 目的`, `### (1) …`,
//! `- ①` bullets). A rewrite that needs a structure the text lacks fails with
//! [`SynthError::Form`] rather than silently doing nothing.

use serde::Serialize;

use super::{Rng, SynthError};

/// One way of rewriting the form of a whole text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FormRewrite {
    /// Shuffle the definitions of section 2 and the measures 6(4)–(6), swap sections 9 and 10,
    /// and renumber: nothing cross-references those numbers.
    Reorder,
    /// Spell words the other way bodies do (順守, 強靭, ハードウエア, 講ずる, および, …), each
    /// occurrence independently.
    Notation,
    /// 例規 style: no Markdown, sections as 第N条, bullets as bare labels.
    Reiki,
    /// Full-width digits, Latin letters and brackets around numbers.
    FullWidth,
    /// Hard line breaks inside paragraphs, as a PDF extraction leaves them.
    LineBreaks,
    /// Page numbers (`- 3 -`) between paragraphs.
    PageNumbers,
}

impl FormRewrite {
    /// Every rewrite, in the order [`rewrite_form`] applies them.
    pub const ALL: [FormRewrite; 6] = [
        FormRewrite::Reorder,
        FormRewrite::Notation,
        FormRewrite::Reiki,
        FormRewrite::FullWidth,
        FormRewrite::LineBreaks,
        FormRewrite::PageNumbers,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FormRewrite::Reorder => "reorder",
            FormRewrite::Notation => "notation",
            FormRewrite::Reiki => "reiki",
            FormRewrite::FullWidth => "full_width",
            FormRewrite::LineBreaks => "line_breaks",
            FormRewrite::PageNumbers => "page_numbers",
        }
    }
}

/// (canonical, variant) spellings; every variant folds to its canonical form in
/// `data/notation.tsv` (a test checks it), so matching must not see a difference.
pub const NOTATION_VARIANTS: &[(&str, &str)] = &[
    ("遵守", "順守"),
    ("強靱", "強靭"),
    ("ハードウェア", "ハードウエア"),
    ("ソフトウェア", "ソフトウエア"),
    ("講じる", "講ずる"),
    ("及び", "および"),
    ("又は", "または"),
    ("並びに", "ならびに"),
    ("コンピュータ", "コンピューター"),
    ("サーバ", "サーバー"),
    ("改ざん", "改竄"),
    ("漏えい", "漏洩"),
    ("取り扱う", "取扱う"),
];

/// Applies `rewrites` (in the fixed order of [`FormRewrite::ALL`], whatever order they are
/// given in) with every random choice drawn from `seed`.
pub fn rewrite_form(base: &str, rewrites: &[FormRewrite], seed: u64) -> Result<String, SynthError> {
    let mut rng = Rng::new(seed);
    let mut text = base.to_owned();
    for r in FormRewrite::ALL {
        if !rewrites.contains(&r) {
            continue;
        }
        text = match r {
            FormRewrite::Reorder => reorder(&text, &mut rng)?,
            FormRewrite::Notation => notation(&text, &mut rng, 1, 2),
            FormRewrite::Reiki => reiki(&text),
            FormRewrite::FullWidth => full_width(&text),
            FormRewrite::LineBreaks => line_breaks(&text, &mut rng),
            FormRewrite::PageNumbers => page_numbers(&text, &mut rng),
        };
    }
    Ok(text)
}

/// A numbering label at the start of a line after Markdown `#`s and a `- ` bullet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Label {
    paren: bool,
    number: u32,
    /// Byte range of the digits in the line.
    digits: (usize, usize),
}

fn label(line: &str) -> Option<Label> {
    let body_start = line.len() - line.trim_start_matches(['#', ' ']).len();
    let mut rest = &line[body_start..];
    let mut at = body_start;
    if let Some(r) = rest.strip_prefix("- ") {
        rest = r;
        at += 2;
    }
    let paren = rest.starts_with('(');
    if paren {
        rest = &rest[1..];
        at += 1;
    }
    let n_digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if n_digits == 0 || n_digits > 3 {
        return None;
    }
    let after = &rest[n_digits..];
    let ok = if paren {
        after.starts_with(')')
    } else {
        after.starts_with(". ")
    };
    if !ok {
        return None;
    }
    let number = rest[..n_digits].parse().ok()?;
    Some(Label {
        paren,
        number,
        digits: (at, at + n_digits),
    })
}

fn renumber(line: &str, l: Label, n: u32) -> String {
    format!("{}{n}{}", &line[..l.digits.0], &line[l.digits.1..])
}

fn form_error(reason: &str) -> SynthError {
    SynthError::Form {
        rewrite: "reorder",
        reason: reason.to_owned(),
    }
}

/// Shuffles the chunks of `lines[from..to]` that start at a label of the same kind as
/// `lines[from]`, then renumbers them in their new order.
fn shuffle_chunks(lines: &mut Vec<String>, from: usize, to: usize, rng: &mut Rng) -> Option<()> {
    let first = label(&lines[from])?;
    let mut starts: Vec<usize> = (from..to)
        .filter(|&i| label(&lines[i]).is_some_and(|l| l.paren == first.paren))
        .collect();
    starts.push(to);
    let mut chunks: Vec<Vec<String>> = starts
        .windows(2)
        .map(|w| {
            let mut c: Vec<String> = lines[w[0]..w[1]].to_vec();
            while c.last().is_some_and(|l| l.trim().is_empty()) {
                c.pop();
            }
            c
        })
        .collect();
    if chunks.len() < 2 {
        return None;
    }
    let before = chunks.clone();
    rng.shuffle(&mut chunks);
    if chunks == before {
        chunks.rotate_left(1);
    }
    let mut out = Vec::new();
    for (k, mut chunk) in chunks.into_iter().enumerate() {
        if let Some(l) = label(&chunk[0]) {
            chunk[0] = renumber(&chunk[0], l, first.number + k as u32);
        }
        out.extend(chunk);
        out.push(String::new());
    }
    lines.splice(from..to, out);
    Some(())
}

fn find_label(lines: &[String], from: usize, paren: bool, number: u32) -> Option<usize> {
    (from..lines.len())
        .find(|&i| label(&lines[i]).is_some_and(|l| l.paren == paren && l.number == number))
}

fn reorder(text: &str, rng: &mut Rng) -> Result<String, SynthError> {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // Work back to front so earlier indices stay valid.
    let s9 = find_label(&lines, 0, false, 9).ok_or_else(|| form_error("no section 9"))?;
    let end = lines.len();
    shuffle_chunks(&mut lines, s9, end, rng).ok_or_else(|| form_error("sections 9 and 10"))?;

    let s6 = find_label(&lines, 0, false, 6).ok_or_else(|| form_error("no section 6"))?;
    let m4 = find_label(&lines, s6, true, 4).ok_or_else(|| form_error("no 6(4)"))?;
    let m7 = find_label(&lines, m4, true, 7).ok_or_else(|| form_error("no 6(7)"))?;
    shuffle_chunks(&mut lines, m4, m7, rng).ok_or_else(|| form_error("measures 6(4)–(6)"))?;

    let s2 = find_label(&lines, 0, false, 2).ok_or_else(|| form_error("no section 2"))?;
    let s3 = find_label(&lines, s2, false, 3).ok_or_else(|| form_error("no section 3"))?;
    let d1 = find_label(&lines, s2, true, 1).ok_or_else(|| form_error("no definition (1)"))?;
    if d1 > s3 {
        return Err(form_error("definitions outside section 2"));
    }
    shuffle_chunks(&mut lines, d1, s3, rng).ok_or_else(|| form_error("definitions"))?;

    Ok(join_lines(&lines, text))
}

fn join_lines(lines: &[String], original: &str) -> String {
    let mut out = lines.join("\n");
    if original.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Replaces each occurrence of a canonical spelling by its variant with probability num/den.
pub(crate) fn notation(text: &str, rng: &mut Rng, num: u64, den: u64) -> String {
    let mut text = text.to_owned();
    for (canonical, variant) in NOTATION_VARIANTS {
        let parts: Vec<&str> = text.split(canonical).collect();
        if parts.len() == 1 {
            continue;
        }
        let mut out = String::with_capacity(text.len() + 16);
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                out.push_str(if rng.chance(num, den) {
                    variant
                } else {
                    canonical
                });
            }
            out.push_str(part);
        }
        text = out;
    }
    text
}

/// 例規 style: `## 1. 目的` → `第1条　目的`, `### (1) …` → `(1) …`, `- ① …` → `① …`.
fn reiki(text: &str) -> String {
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let stripped = line.trim_start_matches('#').trim_start();
            let stripped = stripped.strip_prefix("- ").unwrap_or(stripped);
            match label(stripped) {
                Some(l) if !l.paren => {
                    let title = stripped[l.digits.1..].trim_start_matches(". ");
                    format!("第{}条　{title}", l.number)
                }
                _ => stripped.to_owned(),
            }
        })
        .collect();
    join_lines(&lines, text)
}

fn full_width(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() * 3 / 2);
    for (i, &c) in chars.iter().enumerate() {
        let next_digit = chars.get(i + 1).is_some_and(char::is_ascii_digit);
        let prev_digit = i > 0 && chars[i - 1].is_ascii_digit();
        let w = match c {
            '0'..='9' | 'A'..='Z' | 'a'..='z' => {
                char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap_or(c)
            }
            '(' if next_digit => '（',
            ')' if prev_digit => '）',
            '.' if prev_digit => '．',
            _ => c,
        };
        out.push(w);
    }
    out
}

fn is_kanji_or_kana(c: char) -> bool {
    ('\u{3041}'..='\u{309f}').contains(&c) || ('\u{4e00}'..='\u{9fff}').contains(&c)
}

/// Wraps long lines at 28–40 full-width characters. Widths are visual (a half-width character
/// is half a column), as on a printed page: a line that starts with a half-width label or holds
/// spaced letters fits more characters before it wraps, and counting characters instead would
/// make such lines look short (ended) to any reader of the layout. A continuation never starts
/// with something a parser could take for a label (digits, brackets, ①, 第, katakana), only
/// with kanji or hiragana.
pub(crate) fn line_breaks(text: &str, rng: &mut Rng) -> String {
    // In half-width columns.
    let width = rng.range(28, 40) * 2;
    let cols = |c: char| {
        if c.is_ascii() || ('\u{ff61}'..='\u{ff9f}').contains(&c) {
            1
        } else {
            2
        }
    };
    let mut out = String::with_capacity(text.len() + text.len() / 20);
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        if line.starts_with('#') || line.chars().map(cols).sum::<usize>() <= width {
            out.push_str(line);
            continue;
        }
        let chars: Vec<char> = line.chars().collect();
        let mut col = 0;
        for (i, &c) in chars.iter().enumerate() {
            if col >= width && c != '第' && is_kanji_or_kana(c) && chars.len() - i > 4 {
                out.push('\n');
                col = 0;
            }
            out.push(c);
            col += cols(c);
        }
    }
    out
}

/// Inserts a page number line every 12–24 lines, after a line that ends a sentence or is blank.
pub(crate) fn page_numbers(text: &str, rng: &mut Rng) -> String {
    let styles: [fn(u32) -> String; 3] = [
        |n| format!("- {n} -"),
        |n| format!("－ {n} －"),
        |n| format!("-{n}-"),
    ];
    let style = styles[rng.below(styles.len())];
    let mut out = String::with_capacity(text.len() + 256);
    let mut page = 1;
    let mut next_break = rng.range(12, 24);
    let mut since = 0;
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        out.push_str(line);
        since += 1;
        let boundary = line.trim().is_empty() || line.trim_end().ends_with('。');
        if since >= next_break && boundary {
            out.push_str(&format!("\n\n{}\n", style(page)));
            page += 1;
            since = 0;
            next_break = rng.range(12, 24);
        }
    }
    out
}
