//! A daily summary as the API returns it (spec §2.12), and how each event changes it.

use chrono::{DateTime, NaiveDate, Utc};
use omi_domain::daily_summary::{
    DailySummaryContent, DailySummaryEvent, DayStats, Decision, Highlight, KnowledgeNugget,
    SummaryActionItem, SummaryLocation, SummaryVisibility, UnresolvedQuestion,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::time::{iso, iso_option};

/// One user's summary of one day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DailySummaryView {
    pub id: String,
    /// The day summarized, `YYYY-MM-DD`.
    pub date: NaiveDate,
    /// When the summary was first written.
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub created_at: DateTime<Utc>,
    pub headline: String,
    pub overview: String,
    pub day_emoji: String,
    pub stats: DayStats,
    pub highlights: Vec<Highlight>,
    pub action_items: Vec<SummaryActionItem>,
    pub unresolved_questions: Vec<UnresolvedQuestion>,
    pub decisions_made: Vec<Decision>,
    pub knowledge_nuggets: Vec<KnowledgeNugget>,
    pub locations: Vec<LocationView>,
    pub visibility: SummaryVisibility,
    /// When the content was last written again; `null` if never.
    #[serde(with = "iso_option")]
    #[schemars(with = "Option<DateTime<Utc>>")]
    pub regenerated_at: Option<DateTime<Utc>>,
}

/// Where a conversation of the day took place, with its time in the API's form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LocationView {
    pub name: Option<String>,
    pub address: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
    pub conversation_id: Option<String>,
    #[serde(with = "iso")]
    #[schemars(with = "DateTime<Utc>")]
    pub time: DateTime<Utc>,
}

impl From<SummaryLocation> for LocationView {
    fn from(location: SummaryLocation) -> Self {
        Self {
            name: location.name,
            address: location.address,
            latitude: location.latitude,
            longitude: location.longitude,
            conversation_id: location.conversation_id,
            time: location.time,
        }
    }
}

/// The stored row: the view, and whether the summary was deleted (the row stays, so that the day counts as
/// written).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StoredSummary {
    pub view: DailySummaryView,
    pub deleted: bool,
}

impl DailySummaryView {
    fn new(id: &str, date: NaiveDate, content: &DailySummaryContent, at: DateTime<Utc>) -> Self {
        let mut view = DailySummaryView {
            id: id.to_string(),
            date,
            created_at: at,
            headline: String::new(),
            overview: String::new(),
            day_emoji: String::new(),
            stats: DayStats::default(),
            highlights: Vec::new(),
            action_items: Vec::new(),
            unresolved_questions: Vec::new(),
            decisions_made: Vec::new(),
            knowledge_nuggets: Vec::new(),
            locations: Vec::new(),
            visibility: SummaryVisibility::Private,
            regenerated_at: None,
        };
        view.write(content);
        view
    }

    /// Takes every field of `content`.
    fn write(&mut self, content: &DailySummaryContent) {
        let content = content.clone();
        self.headline = content.headline;
        self.overview = content.overview;
        self.day_emoji = content.day_emoji;
        self.stats = content.stats;
        self.highlights = content.highlights;
        self.action_items = content.action_items;
        self.unresolved_questions = content.unresolved_questions;
        self.decisions_made = content.decisions_made;
        self.knowledge_nuggets = content.knowledge_nuggets;
        self.locations = content
            .locations
            .into_iter()
            .map(LocationView::from)
            .collect();
    }
}

impl StoredSummary {
    /// The owner and row after `event`.
    pub(crate) fn evolve(
        id: &str,
        current: Option<(String, StoredSummary)>,
        event: &DailySummaryEvent,
    ) -> Option<(String, StoredSummary)> {
        match event {
            DailySummaryEvent::DailySummaryGenerated {
                uid,
                date,
                content,
                generated_at,
                ..
            } => Some((
                uid.clone(),
                StoredSummary {
                    view: DailySummaryView::new(id, *date, content, *generated_at),
                    deleted: false,
                },
            )),
            DailySummaryEvent::DailySummaryRegenerated {
                content,
                regenerated_at,
            } => current.map(|(uid, mut row)| {
                row.view.write(content);
                row.view.regenerated_at = Some(*regenerated_at);
                (uid, row)
            }),
            DailySummaryEvent::DailySummaryVisibilityChanged { visibility, .. } => {
                current.map(|(uid, mut row)| {
                    row.view.visibility = *visibility;
                    (uid, row)
                })
            }
            DailySummaryEvent::DailySummaryDeleted { .. } => current.map(|(uid, mut row)| {
                row.deleted = true;
                (uid, row)
            }),
        }
    }
}
