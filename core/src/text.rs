//! Arabic-aware text folding for search. Normalise for search, never for display: every token keeps
//! the byte ranges of the original text it came from, so hits can be highlighted in what the user sees.
//!
//! Folded as equal: alef forms (أ إ آ ٱ → ا), ة → ه, ى/ی → ي, ؤ → و, ئ → ي, ک → ك; harakat, Quranic marks
//! and tatweel are dropped; Arabic-Indic (٠-٩) and Eastern Arabic-Indic (۰-۹) digits become ASCII;
//! other scripts are lower-cased.

use std::ops::Range;

/// What a character becomes under search folding.
enum Fold {
    /// Not part of any token: a separator.
    Separator,
    /// Invisible for search (harakat, tatweel): does not split a word.
    Drop,
    /// Part of a word, folded to this character.
    Char(char),
}

fn fold_char(c: char) -> Fold {
    // Fast paths for the two scripts of almost every query: ASCII and the plain Arabic letters.
    if c.is_ascii() {
        return if c.is_ascii_alphanumeric() { Fold::Char(c.to_ascii_lowercase()) } else { Fold::Separator };
    }
    if matches!(c, 'ء' | 'ا' | 'ب' | 'ت'..='غ' | 'ف'..='ه' | 'و' | 'ي') {
        return Fold::Char(c);
    }
    match c {
        // Harakat, Quranic annotation marks, superscript alef, tatweel.
        '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{06D6}'..='\u{06ED}' | '\u{0640}' => Fold::Drop,
        '\u{200C}' | '\u{200D}' | '\u{200E}' | '\u{200F}' | '\u{061C}' => Fold::Drop,
        'أ' | 'إ' | 'آ' | 'ٱ' | 'ٲ' | 'ٳ' => Fold::Char('ا'),
        'ة' => Fold::Char('ه'),
        'ى' | 'ی' | 'ئ' => Fold::Char('ي'),
        'ؤ' => Fold::Char('و'),
        'ک' => Fold::Char('ك'),
        '\u{0660}'..='\u{0669}' => Fold::Char(char::from(b'0' + (c as u32 - 0x0660) as u8)),
        '\u{06F0}'..='\u{06F9}' => Fold::Char(char::from(b'0' + (c as u32 - 0x06F0) as u8)),
        c if c.is_alphanumeric() => Fold::Char(c),
        // Combining marks of other scripts (é typed as e + ́) vanish like harakat.
        '\u{0300}'..='\u{036F}' => Fold::Drop,
        _ => Fold::Separator,
    }
}

/// One word of a text, folded for search, remembering where each folded char came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The folded word.
    pub text: String,
    /// For each char of `text`, the byte range in the original it came from (including any
    /// harakat that follow it, so highlighting never cuts a letter from its marks).
    pub origin: Vec<Range<usize>>,
}

impl Token {
    /// Byte range in the original text of folded chars `chars`.
    pub fn original_range(&self, chars: Range<usize>) -> Range<usize> {
        let start = self.origin[chars.start].start;
        let end = self.origin[chars.end - 1].end;
        start..end
    }

    pub fn char_len(&self) -> usize {
        self.origin.len()
    }
}

/// Whether a folded char is kept as it is rather than lowered: ASCII (folded already) and the
/// Arabic block (uncased) without asking Unicode's tables, which at the core's opt-level "z" is a
/// call per char of every word searched or highlighted; anything else unless it is upper-case.
#[inline(always)]
fn kept_as_is(c: char) -> bool {
    c.is_ascii() || matches!(c, '\u{0600}'..='\u{06FF}') || !c.is_uppercase()
}

/// Call `f` with each folded token of `text` in turn. The token is reused between calls, so a
/// long text costs no allocation per word.
pub fn for_each_token(text: &str, mut f: impl FnMut(&Token)) {
    let mut token = Token { text: String::new(), origin: Vec::new() };
    for (at, c) in text.char_indices() {
        let end = at + c.len_utf8();
        match fold_char(c) {
            Fold::Separator => {
                if !token.origin.is_empty() {
                    f(&token);
                    token.text.clear();
                    token.origin.clear();
                }
            }
            Fold::Drop => {
                // Marks belong to the letter before them.
                if let Some(last) = token.origin.last_mut() {
                    last.end = end;
                }
            }
            Fold::Char(folded) => {
                if kept_as_is(folded) {
                    token.text.push(folded);
                    token.origin.push(at..end);
                } else {
                    for lower in folded.to_lowercase() {
                        token.text.push(lower);
                        token.origin.push(at..end);
                    }
                }
            }
        }
    }
    if !token.origin.is_empty() {
        f(&token);
    }
}

/// Call `f` with each folded word of `text` and the byte range of the original it came from
/// (marks after its last letter included). Cheaper than [`for_each_token`]: no per-char origins.
pub fn for_each_word(text: &str, mut f: impl FnMut(&str, Range<usize>)) {
    let mut word = String::new();
    let mut start = 0;
    let mut end = 0;
    for (at, c) in text.char_indices() {
        match fold_char(c) {
            Fold::Separator => {
                if !word.is_empty() {
                    f(&word, start..end);
                    word.clear();
                }
            }
            Fold::Drop => {
                if !word.is_empty() {
                    end = at + c.len_utf8();
                }
            }
            Fold::Char(folded) => {
                if word.is_empty() {
                    start = at;
                }
                end = at + c.len_utf8();
                if kept_as_is(folded) {
                    word.push(folded);
                } else {
                    word.extend(folded.to_lowercase());
                }
            }
        }
    }
    if !word.is_empty() {
        f(&word, start..end);
    }
}

/// Split `text` into folded tokens.
pub fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    for_each_token(text, |t| tokens.push(t.clone()));
    tokens
}

/// The folded form of a whole text: its tokens joined by single spaces.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for t in tokenize(text) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&t.text);
    }
    out
}

/// Attached particles and the article that may stand before an Arabic word: و ف ب ل ك, ال, and
/// their combinations. Longest first so the most specific strip wins.
const PREFIXES: [&str; 11] = ["وال", "بال", "فال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك"];

/// The shortest stem (in chars) left after removing a prefix; shorter stems match too much.
const MIN_STEM_CHARS: usize = 3;

/// Forms of a folded word without its attached prefixes, each with the number of chars stripped.
/// The word itself is not included. `والمياه` gives `مياه` (3) and `المياه` (1).
pub fn stems(word: &str) -> impl Iterator<Item = (usize, &str)> {
    PREFIXES.iter().filter_map(move |p| {
        let rest = word.strip_prefix(p)?;
        // Prefixes are Arabic letters of two bytes each.
        (rest.chars().count() >= MIN_STEM_CHARS).then_some((p.len() / 2, rest))
    })
}

/// The text stored in the search index for one field: every word plus its stems, so a query for
/// `مياه` finds `والمياه` and a query for `المياه` (whose stem is `مياه`) finds `مياه`.
pub fn index_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for_each_token(text, |t| {
        push_word(&mut out, &t.text);
        for (_, stem) in stems(&t.text) {
            push_word(&mut out, stem);
        }
    });
    out
}

fn push_word(out: &mut String, w: &str) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(w);
}

/// Optimal-string-alignment distance bounded by 1: is `a` one edit (insert, delete, substitute, or
/// swap of neighbours) away from `b`? Cheap enough to run over a vocabulary slice.
pub fn within_one_edit(a: &str, b: &str) -> bool {
    // Byte lengths of one-edit neighbours differ by at most one char's width (4 bytes).
    if a.len().abs_diff(b.len()) > 4 {
        return false;
    }
    // Strip the common prefix and suffix; what is left must be one edit.
    let prefix: usize = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).map(|(x, _)| x.len_utf8()).sum();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    let suffix: usize =
        a.chars().rev().zip(b.chars().rev()).take_while(|(x, y)| x == y).map(|(x, _)| x.len_utf8()).sum();
    let (a, b) = (&a[..a.len() - suffix.min(a.len())], &b[..b.len() - suffix.min(b.len())]);
    match (a.chars().count(), b.chars().count()) {
        // Nothing differs, or one char was inserted, deleted or substituted.
        (0 | 1, 0 | 1) => true,
        // Two neighbours swapped.
        (2, 2) => a.chars().eq(b.chars().rev()),
        _ => false,
    }
}

/// Parse digits typed in any of the three digit sets; other characters are ignored by the caller.
pub fn ascii_digits(text: &str) -> String {
    text.chars()
        .filter_map(|c| match fold_char(c) {
            Fold::Char(d) if d.is_ascii_digit() => Some(d),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_as_is_agrees_with_unicode() {
        // The Arabic block is skipped without asking Unicode: it must hold no upper-case letter.
        for c in ('\u{0500}'..='\u{0800}').chain('A'..='z').chain(['É', 'é', 'Σ', 'σ']) {
            assert_eq!(kept_as_is(c), c.is_ascii() || !c.is_uppercase(), "{c:?}");
        }
    }

    #[test]
    fn folds_arabic_variants() {
        assert_eq!(fold("أَحْمَد"), "احمد");
        assert_eq!(fold("مدرسة"), "مدرسه");
        assert_eq!(fold("مستشفى"), "مستشفي");
        assert_eq!(fold("بـــلـــدية"), "بلديه");
        assert_eq!(fold("٠١٢٣ ۴۵۶"), "0123 456");
        assert_eq!(fold("Building-Permit"), "building permit");
    }

    #[test]
    fn origin_covers_marks() {
        let text = "رُخصة";
        let t = &tokenize(text)[0];
        assert_eq!(t.text, "رخصه");
        assert_eq!(&text[t.original_range(0..1)], "رُ");
        assert_eq!(&text[t.original_range(0..4)], text);
    }

    #[test]
    fn words_and_tokens_agree() {
        let text = "رُخصة البنـــاء, Building-Permit ١٢٣";
        let mut words = Vec::new();
        for_each_word(text, |w, r| words.push((w.to_owned(), r)));
        let tokens: Vec<_> =
            tokenize(text).iter().map(|t| (t.text.clone(), t.original_range(0..t.char_len()))).collect();
        assert_eq!(words, tokens);
    }

    #[test]
    fn stems_strip_particles() {
        let s: Vec<(usize, &str)> = stems("والمياه").collect();
        assert_eq!(s, vec![(3, "مياه"), (1, "المياه")]);
        assert_eq!(stems("للمياه").collect::<Vec<_>>(), vec![(2, "مياه"), (1, "لمياه")]);
        assert_eq!(stems("بلد").count(), 0);
    }

    #[test]
    fn one_edit() {
        assert!(within_one_edit("permit", "permt"));
        assert!(within_one_edit("permit", "pemrit"));
        assert!(within_one_edit("permit", "permits"));
        assert!(within_one_edit("رخصه", "رخسه"));
        assert!(!within_one_edit("permit", "prmt"));
        assert!(!within_one_edit("abc", "xyz"));
    }
}
