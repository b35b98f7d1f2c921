//! `baladiya news`: the municipality's news, refreshed when the network allows.

use baladiya_core::Baladiya;

use crate::render::Langs;

pub async fn run(
    core: &Baladiya,
    unread: bool,
    mark_read: bool,
    langs: Langs,
) -> Result<(), Box<dyn std::error::Error>> {
    match core.refresh_news().await {
        Ok(r) if r.not_modified => say!("(unchanged, {} bytes)", r.bytes_received),
        Ok(r) => say!("({} new, {} withdrawn, {} bytes)", r.new_items, r.withdrawn, r.bytes_received),
        Err(e) => say!("(offline copy: {e})"),
    }
    let items = core.news(unread)?;
    say!("{} unread", core.unread_news_count()?);
    for n in &items {
        let mark = if n.read { " " } else { "•" };
        let important = if n.item.important { "!" } else { " " };
        let title = if langs == Langs::En { &n.item.title.en } else { &n.item.title.ar };
        say!("{mark}{important} {}  {}", &n.item.published_at.get(..10).unwrap_or(""), title);
    }
    if mark_read {
        core.mark_news_read(None)?;
    }
    Ok(())
}
