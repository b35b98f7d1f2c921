//! Printing guide entries for a terminal. Arabic and English go on separate lines so a terminal
//! that lays out right-to-left text (or one that does not) never mixes the two directions.

use std::io::IsTerminal;
use std::ops::Range;

use baladiya_core::wire::{DocumentForm, Fee, Localized, Service, Violation};
use baladiya_core::{Baladiya, HitField, Lang, SearchHit};

/// Which languages to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Langs {
    Ar,
    En,
    Both,
}

impl Langs {
    fn pick(self, text: &Localized) -> Vec<&str> {
        match self {
            Langs::Ar => vec![&text.ar],
            Langs::En => vec![&text.en],
            Langs::Both => vec![&text.ar, &text.en],
        }
    }
}

fn color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}

/// `text` with the byte ranges marked: bold yellow on a terminal, [brackets] otherwise.
pub fn marked(text: &str, ranges: &[Range<usize>]) -> String {
    let (open, close) = if color() { ("\x1b[1;33m", "\x1b[0m") } else { ("[", "]") };
    let mut ranges = ranges.to_vec();
    ranges.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(text.len() + ranges.len() * 8);
    let mut at = 0;
    for r in ranges {
        if r.start < at
            || r.end > text.len()
            || !text.is_char_boundary(r.start)
            || !text.is_char_boundary(r.end)
        {
            continue;
        }
        out.push_str(&text[at..r.start]);
        out.push_str(open);
        out.push_str(&text[r.clone()]);
        out.push_str(close);
        at = r.end;
    }
    out.push_str(&text[at..]);
    out
}

pub fn hit(h: &SearchHit, langs: Langs) {
    let ranges = |field, lang| -> Vec<Range<usize>> {
        h.highlights.iter().filter(|x| x.field == field && x.lang == lang).map(|x| x.range.clone()).collect()
    };
    let kind = match h.kind {
        baladiya_core::HitKind::Service => "service",
        baladiya_core::HitKind::Violation => "violation",
    };
    say!("  • {} ({kind})", h.id);
    if langs != Langs::En {
        say!("    {}", marked(&h.title.ar, &ranges(HitField::Title, Lang::Ar)));
    }
    if langs != Langs::Ar {
        say!("    {}", marked(&h.title.en, &ranges(HitField::Title, Lang::En)));
    }
}

pub fn money(minor: i64, currency: &str) -> String {
    format!("{}.{:02} {currency}", minor / 100, (minor % 100).abs())
}

fn fee(f: &Fee, langs: Langs) -> Vec<String> {
    let amount = f.amount_minor.map(|m| money(m, &f.currency));
    let mut lines = Vec::new();
    for (i, d) in langs.pick(&f.description).into_iter().enumerate() {
        let cond = f.conditions.as_ref().map(|c| langs.pick(c)[i]);
        let mut line = d.to_owned();
        if let Some(a) = &amount {
            line.push_str(&format!(": {a}"));
        }
        if let Some(c) = cond {
            line.push_str(&format!(" ({c})"));
        }
        lines.push(line);
    }
    lines
}

fn heading(ar: &str, en: &str, langs: Langs) {
    match langs {
        Langs::Ar => say!("\n{ar}"),
        Langs::En => say!("\n{en}"),
        Langs::Both => say!("\n{ar} / {en}"),
    }
}

pub fn service(core: &Baladiya, s: &Service, langs: Langs) {
    for t in langs.pick(&s.title) {
        say!("{t}");
    }
    for t in langs.pick(&s.summary) {
        say!("  {t}");
    }
    let departments = core.departments().unwrap_or_default();
    if let Some(d) = departments.iter().find(|d| d.id == s.department_id) {
        heading("الجهة المختصة", "Department", langs);
        for t in langs.pick(&d.name) {
            say!("  {t}");
        }
    }
    heading("الخطوات", "Steps", langs);
    for (n, step) in s.steps.iter().enumerate() {
        for t in langs.pick(step) {
            say!("  {}. {t}", n + 1);
        }
    }
    heading("الوثائق المطلوبة", "Required documents", langs);
    for d in &s.documents {
        let form = match d.form {
            DocumentForm::Original => ("أصل", "original"),
            DocumentForm::Copy => ("صورة", "copy"),
            DocumentForm::OriginalAndCopy => ("أصل وصورة", "original and copy"),
        };
        let forms = Localized { ar: form.0.into(), en: form.1.into() };
        for (t, f) in langs.pick(&d.name).into_iter().zip(langs.pick(&forms)) {
            say!("  - {t} ({f})");
        }
    }
    heading("الرسوم", "Fees", langs);
    for f in &s.fees {
        for line in fee(f, langs) {
            say!("  - {line}");
        }
    }
    heading("مدة الإنجاز", "Processing time", langs);
    for t in langs.pick(&s.processing_time.text) {
        say!("  {t} [{}]", s.processing_time.iso8601);
    }
    heading("أين ومتى", "Where and when", langs);
    for c in &s.channels {
        for (office, hours) in langs.pick(&c.office).into_iter().zip(langs.pick(&c.hours)) {
            say!("  {office} — {hours}");
        }
        for (label, value) in [("☎", &c.phone), ("WhatsApp", &c.whatsapp), ("Web", &c.web)] {
            if let Some(v) = value {
                say!("    {label} {v}");
            }
        }
    }
    if !s.forms.is_empty() {
        heading("النماذج", "Forms", langs);
        for f in &s.forms {
            for t in langs.pick(&f.title) {
                say!("  - {t}{}", f.url.as_deref().map(|u| format!(" <{u}>")).unwrap_or_default());
            }
        }
    }
    if !s.faqs.is_empty() {
        heading("أسئلة المواطنين", "Citizens' questions", langs);
        for f in &s.faqs {
            let pairs = langs.pick(&f.question).into_iter().zip(langs.pick(&f.answer));
            for (i, (q, a)) in pairs.enumerate() {
                // Arabic first: with both languages the second pair is the English one.
                let english = matches!(langs, Langs::En) || i == 1;
                let (ql, al) = if english { ("Q", "A") } else { ("س", "ج") };
                say!("  {ql}: {q}");
                say!("  {al}: {a}");
            }
        }
    }
}

pub fn violation(v: &Violation, langs: Langs) {
    for t in langs.pick(&v.offence) {
        say!("{t}");
    }
    let fine = if v.fine_min_minor == v.fine_max_minor {
        money(v.fine_min_minor, &v.currency)
    } else {
        format!("{} – {}", money(v.fine_min_minor, &v.currency), money(v.fine_max_minor, &v.currency))
    };
    say!("  {fine}");
    for t in langs.pick(&v.legal_basis) {
        say!("  {t}");
    }
}
