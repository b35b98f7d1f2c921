//! The one policy for text people type, applied on the way in to every citizen-entered field
//! (complaints from the app, the web and staff entry) and under the news sanitiser.
//!
//! - Line ends become `\n` (`\r\n` and a lone `\r`); `\n` and tab are kept.
//! - Every other control character is dropped: C0, DEL and C1. A NUL or an escape sequence
//!   has no business in a complaint, and some consumers (C strings, terminals, XML 1.0) break
//!   on them.
//! - The bidi embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069) are
//!   dropped: they reorder what is shown after them, so a description or an address could be
//!   made to read differently from what it holds (and a misbalanced one spills into the text
//!   around it wherever it is shown). The marks that only nudge neutral characters (LRM U+200E,
//!   RLM U+200F, ALM U+061C) stay: Arabic keyboards type them around numbers.
//!
//! Text is not normalised (NFC): no normalisation tables are in this build, and the Arabic the
//! apps send is already composed; search folds what it needs on the phone.

/// Is `c` dropped by [`clean`]?
pub fn is_dropped(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        || (c.is_control() && c != '\n' && c != '\t')
}

/// `raw` under the policy above.
pub fn clean(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' {
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else if !is_dropped(c) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_overrides_go_marks_and_layout_stay() {
        assert_eq!(clean("a\u{0}b\u{1b}[31mc\u{7f}\u{85}d"), "ab[31mcd");
        assert_eq!(clean("\u{202E}txt.exe\u{202C} \u{2066}x\u{2069}"), "txt.exe x");
        assert_eq!(clean("line 1\r\nline 2\rline 3\n\tindented"), "line 1\nline 2\nline 3\n\tindented");
        let arabic = "رقم \u{200F}٠٥٩٩\u{200E} \u{061C}هنا";
        assert_eq!(clean(arabic), arabic);
    }
}
