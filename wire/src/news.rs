//! News from the municipality.

use serde::{Deserialize, Serialize};

use crate::Localized;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum NewsCategory {
    Announcement,
    WaterSchedule,
    ServiceInterruption,
    Project,
    Event,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NewsItem {
    pub id: String,
    pub title: Localized,
    /// Plain text with a safe subset of Markdown (paragraphs, `**bold**`, `- ` lists, https
    /// links); the server sanitises it on publication.
    pub body: Localized,
    /// RFC 3339.
    pub published_at: String,
    pub category: NewsCategory,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// Worth a notification (a water cut, an emergency).
    #[serde(default)]
    pub important: bool,
}

/// `GET /api/v1/news?limit=N[&cursor=C]`: newest first. `next_cursor` continues to older items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewsPage {
    pub items: Vec<NewsItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
