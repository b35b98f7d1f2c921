//! Sanitising news text on publication. Titles are plain text; bodies are plain text with a safe
//! subset of Markdown (paragraphs, `**bold**`, `- ` lists, `[text](https://…)` links).
//!
//! What comes out never holds an HTML tag, whatever an app does with it:
//! 1. the server's text policy ([`crate::text`]): line ends become `\n`, control characters
//!    (but `\n`, and tabs, here made spaces) and the bidi embedding, override and isolate
//!    characters (U+202A–U+202E, U+2066–U+2069, used to disguise text) are dropped;
//! 2. HTML character references (`&lt;`, `&#60;`, `&#x3c;` …) are decoded, repeatedly, so a tag
//!    cannot hide behind them;
//! 3. tags and comments are removed (the content of `script`, `style`, `iframe`, `object`,
//!    `embed` and `template` elements with them), until nothing tag-like is left; a Markdown
//!    autolink `<https://…>` keeps its address as text;
//! 4. any `<` still there becomes `‹` (U+2039), so no tag can form later;
//! 5. a link or image is kept only when its address is `https://` (and has no space, quote or
//!    angle bracket): `[text](javascript:…)` becomes `text`; images become their alt text;
//!    reference definitions (`[x]: url`) are dropped; titles keep link text only;
//! 6. spaces at line ends are dropped, blank lines collapse to one.

/// Longest title (characters), after sanitising.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest body (characters), after sanitising.
pub const MAX_BODY_CHARS: usize = 8_000;
/// Longest image URL (bytes).
pub const MAX_URL_LEN: usize = 2_000;

/// Elements whose content goes with the tags.
const DROP_CONTENT: &[&str] = &["script", "style", "iframe", "object", "embed", "template", "noscript"];

/// A title: one line of plain text.
pub fn title(raw: &str) -> String {
    let s = links(&clean_html(raw), false);
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A body: plain text with the Markdown subset.
pub fn body(raw: &str) -> String {
    let s = links(&clean_html(raw), true);
    let mut out = String::with_capacity(s.len());
    let mut blank = 0;
    for line in s.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out
}

/// Is `url` an address a link or image may carry: `https://`, a host, nothing that could break out
/// of an attribute or a Markdown link.
pub fn safe_url(url: &str) -> bool {
    let Some(rest) = url.get(..8).filter(|p| p.eq_ignore_ascii_case("https://")).map(|_| &url[8..]) else {
        return false;
    };
    url.len() <= MAX_URL_LEN
        && rest.chars().next().is_some_and(|c| c.is_alphanumeric() || c == '[')
        && !url.chars().any(|c| c.is_whitespace() || c.is_control() || "\"'<>`\\".contains(c))
}

/// Steps 1–4: text without tags.
fn clean_html(raw: &str) -> String {
    // The server's one text policy (crate::text), and tabs as spaces.
    let mut s = crate::text::clean(raw).replace('\t', " ");
    for _ in 0..8 {
        let next = strip_tags(&decode_entities(&s));
        if next == s {
            break;
        }
        s = next;
    }
    s.replace('<', "\u{2039}")
}

/// `&lt;` `&gt;` `&amp;` `&quot;` `&apos;` `&nbsp;` and numeric references, once.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest.char_indices().take(12).find(|&(_, c)| c == ';').map(|(j, _)| j);
        let decoded = end.and_then(|j| {
            let name = &rest[1..j];
            let c = match name {
                "lt" | "LT" => Some('<'),
                "gt" | "GT" => Some('>'),
                "amp" | "AMP" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => {
                    let n = name.strip_prefix('#')?;
                    let code = match n.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => n.parse().ok()?,
                    };
                    char::from_u32(code).filter(|c| !c.is_control() || *c == '\n')
                }
            };
            c.map(|c| (c, j + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// One pass of removing tags, comments and dangerous elements' content.
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let after = &rest[1..];
        let starts_tag = after.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || "/!?".contains(c));
        if !starts_tag {
            out.push('<');
            rest = after;
            continue;
        }
        if let Some(comment) = after.strip_prefix("!--") {
            rest = comment.find("-->").map_or("", |j| &comment[j + 3..]);
            continue;
        }
        let Some(close) = after.find('>') else {
            // Unterminated: leave the `<` for the last step to defuse.
            out.push('<');
            rest = after;
            continue;
        };
        let inside = &after[..close];
        rest = &after[close + 1..];
        if safe_url(inside) {
            // A Markdown autolink.
            out.push_str(inside);
            continue;
        }
        let name: String =
            inside.chars().take_while(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
        if DROP_CONTENT.contains(&name.as_str()) {
            let lower = rest.to_ascii_lowercase();
            let end = format!("</{name}");
            rest = match lower.find(&end) {
                Some(j) => rest[j..].find('>').map_or("", |k| &rest[j + k + 1..]),
                None => "",
            };
        }
    }
    out.push_str(rest);
    out
}

/// Step 5: links and images. `keep`: keep safe links as Markdown (bodies) or only their text.
fn links(s: &str, keep: bool) -> String {
    let kept: Vec<&str> = s.lines().filter(|l| !is_reference_definition(l)).collect();
    let s = kept.join("\n");
    rewrite_links(&s, keep, 0)
}

fn is_reference_definition(line: &str) -> bool {
    let t = line.trim_start_matches(' ');
    line.len() - t.len() <= 3
        && t.starts_with('[')
        && t.find("]:").is_some_and(|j| j > 1 && !t[1..j].contains(['[', ']']))
}

fn rewrite_links(s: &str, keep: bool, depth: usize) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('[') {
        let image = i > 0 && rest.as_bytes()[i - 1] == b'!';
        out.push_str(&rest[..if image { i - 1 } else { i }]);
        let after = &rest[i + 1..];
        let parsed = matching(after, '[', ']').and_then(|text_end| {
            let tail = after[text_end + 1..].strip_prefix('(')?;
            let url_end = matching(tail, '(', ')')?;
            Some((&after[..text_end], &tail[..url_end], &tail[url_end + 1..]))
        });
        let Some((text, target, tail)) = parsed else {
            out.push_str(if image { "![" } else { "[" });
            rest = after;
            continue;
        };
        let text = if depth < 4 { rewrite_links(text, false, depth + 1) } else { String::new() };
        let url = target.split_whitespace().next().unwrap_or("");
        let url = url.strip_prefix('<').and_then(|u| u.strip_suffix('>')).unwrap_or(url);
        if keep && !image && safe_url(url) {
            out.push('[');
            out.push_str(&text);
            out.push_str("](");
            out.push_str(url);
            out.push(')');
        } else {
            out.push_str(&text);
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// Byte index of the `close` that balances an already opened `open` in `s`.
fn matching(s: &str, open: char, close: char) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        if c == '\n' && open == '(' {
            return None;
        }
        if c == open {
            depth += 1;
        } else if c == close {
            if depth == 0 {
                return Some(i);
            }
            depth -= 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_tags(s: &str) {
        assert!(!s.contains('<'), "a `<` survived in {s:?}");
    }

    #[test]
    fn tags_never_survive() {
        for raw in [
            "قبل <script>alert(1)</script> بعد",
            "<SCRIPT src=x></SCRIPT>text",
            "<<b>script>alert(1)<</b>/script>",
            "&lt;script&gt;alert(1)&lt;/script&gt;",
            "&amp;lt;img src=x onerror=alert(1)&amp;gt;",
            "&#60;iframe src=x&#62;",
            "<img src=x onerror=alert(1)>",
            "<!-- hidden --><b>bold</b>",
            "text <scr<script>x</script>ipt>alert(1)",
            "unterminated <script",
            "<style>body{}</style>ok",
        ] {
            let b = body(raw);
            no_tags(&b);
            assert!(!b.to_lowercase().contains("alert(1)</"), "{raw:?} → {b:?}");
            no_tags(&title(raw));
        }
        assert_eq!(body("قبل <script>alert(1)</script> بعد"), "قبل  بعد");
        assert_eq!(body("<b>مهم</b> جدًا"), "مهم جدًا");
        assert_eq!(body("5 < 7 and 9 > 3"), "5 \u{2039} 7 and 9 > 3");
    }

    #[test]
    fn only_https_links_stay() {
        assert_eq!(
            body("[الجدول](https://baladiya.example/water)"),
            "[الجدول](https://baladiya.example/water)"
        );
        assert_eq!(body("[click](javascript:alert(1)) here"), "click here");
        assert_eq!(body("[click](JavaScript:alert(document.cookie))"), "click");
        assert_eq!(body("[x](http://plain.example)"), "x");
        assert_eq!(body("[x](data:text/html;base64,PHNjcmlwdD4=)"), "x");
        assert_eq!(body("[x](https://ok.example \"title\")"), "[x](https://ok.example)");
        assert_eq!(body("[x](https://a.example/\"onclick=1)"), "x");
        assert_eq!(body("![alt](https://img.example/a.png)"), "alt");
        assert_eq!(body("see <https://baladiya.example/a>"), "see https://baladiya.example/a");
        assert_eq!(body("see <javascript:alert(1)>"), "see");
        assert_eq!(body("[a]: javascript:alert(1)\n[b][a]"), "[b][a]");
        assert_eq!(title("[t](https://x.example)"), "t");
        assert!(!body("[[in](javascript:x)](https://ok.example)").contains("javascript"));
    }

    #[test]
    fn markdown_and_layout_survive() {
        let raw = "**تنبيه:**\r\n\r\n\r\n- الرمال\n- تل الهوى  \n\n\nنص\u{202E}مقلوب\u{0007}";
        assert_eq!(body(raw), "**تنبيه:**\n\n- الرمال\n- تل الهوى\n\nنصمقلوب");
        assert_eq!(title("  عنوان \n  جديد\t"), "عنوان جديد");
    }

    #[test]
    fn urls() {
        assert!(safe_url("https://media.baladiya.example/a.jpg"));
        assert!(!safe_url("http://media.baladiya.example/a.jpg"));
        assert!(!safe_url("https://"));
        assert!(!safe_url("https:///x"));
        assert!(!safe_url("javascript:alert(1)"));
        assert!(!safe_url("https://a.example/x y"));
    }
}
