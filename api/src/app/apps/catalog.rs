//! The catalog (spec §7.1): the v2 listing grouped by capability or filtered by one capability or category,
//! a capability's apps grouped by category, the flat search with its sorts, and the fixed lists (categories,
//! capabilities with their triggers, actions and scopes, payment plans).

use std::cmp::Ordering;

use omi_domain::app::{
    category_title, ActionType, Capability, NotificationScope, TriggerEvent, CATEGORIES,
    MONTHLY_RECURRING,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{available, public, AppView};
use crate::app::{Page, PageRule};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Pages of the v2 catalog and the search: 20 by default, at most 100.
pub const PAGE: PageRule = PageRule::new(20, 100);

/// The pseudo-category of apps flagged popular.
const POPULAR: &str = "popular";

/// An id and its title.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Labeled {
    pub id: String,
    pub title: String,
}

fn labeled(id: &str, title: &str) -> Labeled {
    Labeled {
        id: id.into(),
        title: title.into(),
    }
}

/// Where a page sits in its list.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub total: usize,
    pub count: usize,
    pub offset: i64,
    pub limit: i64,
    pub has_next: bool,
    pub has_previous: bool,
}

/// `page` of `apps`, with where it sits.
fn paged(apps: Vec<AppView>, page: Page) -> (Vec<AppView>, Pagination) {
    let total = apps.len();
    let data: Vec<AppView> = apps
        .into_iter()
        .skip(page.offset as usize)
        .take(page.limit as usize)
        .collect();
    let pagination = Pagination {
        total,
        count: data.len(),
        offset: page.offset,
        limit: page.limit,
        has_next: (page.offset as usize).saturating_add(data.len()) < total,
        has_previous: page.offset > 0,
    };
    (data, pagination)
}

/// One capability's apps in the grouped catalog.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CapabilityGroup {
    pub capability: Labeled,
    pub data: Vec<AppView>,
    pub pagination: Pagination,
}

/// What the grouped catalog says of itself.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupedMeta {
    pub capabilities: Vec<Labeled>,
    pub group_count: usize,
    pub limit: i64,
    pub offset: i64,
}

/// `GET /v2/apps`: grouped by capability when no filter is given, else one filtered page.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum V2Catalog {
    Grouped {
        groups: Vec<CapabilityGroup>,
        meta: GroupedMeta,
    },
    Filtered {
        data: Vec<AppView>,
        pagination: Pagination,
        #[serde(skip_serializing_if = "Option::is_none")]
        capability: Option<Labeled>,
        #[serde(skip_serializing_if = "Option::is_none")]
        category: Option<Labeled>,
    },
}

/// The query of `GET /v2/apps`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct V2Query {
    pub capability: Option<String>,
    pub category: Option<String>,
    pub offset: Option<i64>,
    pub limit: Option<i64>,
    #[serde(default)]
    pub include_reviews: bool,
}

fn capability_of(id: &str, loc: &str) -> ApiResult<Capability> {
    Capability::parse(id)
        .ok_or_else(|| ApiError::invalid(loc, format!("Unknown capability {id:?}")))
}

fn category_of(id: &str, loc: &str) -> ApiResult<Labeled> {
    if id == POPULAR {
        return Ok(labeled(POPULAR, "Popular"));
    }
    category_title(id)
        .map(|title| labeled(id, title))
        .ok_or_else(|| ApiError::invalid(loc, format!("Unknown category {id:?}")))
}

fn in_category(app: &AppView, category: &str) -> bool {
    if category == POPULAR {
        app.is_popular
    } else {
        app.category == category
    }
}

/// Most installed first, then by name: how the catalog lists apps.
fn by_installs(a: &AppView, b: &AppView) -> Ordering {
    b.installs
        .cmp(&a.installs)
        .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
}

/// The public catalog of `GET /v2/apps`.
pub async fn v2(state: &AppState, query: V2Query) -> ApiResult<V2Catalog> {
    let page = PAGE.page(query.limit, query.offset)?;
    let capability = query
        .capability
        .as_deref()
        .map(|id| capability_of(id, "query.capability"))
        .transpose()?;
    let category = query
        .category
        .as_deref()
        .map(|id| category_of(id, "query.category"))
        .transpose()?;
    let mut apps = public(state, None, query.include_reviews).await?;
    apps.sort_by(by_installs);
    if capability.is_none() && category.is_none() {
        let groups: Vec<CapabilityGroup> = Capability::ALL
            .into_iter()
            .filter(|c| *c != Capability::Persona)
            .map(|c| {
                let of: Vec<AppView> = apps
                    .iter()
                    .filter(|app| app.capabilities.contains(&c))
                    .cloned()
                    .collect();
                let (data, pagination) = paged(of, page);
                CapabilityGroup {
                    capability: labeled(c.id(), c.title()),
                    data,
                    pagination,
                }
            })
            .filter(|group| group.pagination.total > 0)
            .collect();
        return Ok(V2Catalog::Grouped {
            meta: GroupedMeta {
                capabilities: groups.iter().map(|g| g.capability.clone()).collect(),
                group_count: groups.len(),
                limit: page.limit,
                offset: page.offset,
            },
            groups,
        });
    }
    apps.retain(|app| {
        capability.is_none_or(|c| app.capabilities.contains(&c))
            && category.as_ref().is_none_or(|c| in_category(app, &c.id))
    });
    let (data, pagination) = paged(apps, page);
    Ok(V2Catalog::Filtered {
        data,
        pagination,
        capability: capability.map(|c| labeled(c.id(), c.title())),
        category,
    })
}

/// One category's apps of a capability.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CategoryGroup {
    pub category: Labeled,
    pub data: Vec<AppView>,
    pub count: usize,
}

/// What the grouped capability list says of itself.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CategoryGroupsMeta {
    pub total_apps: usize,
    pub group_count: usize,
}

/// `GET /v2/apps/capability/{capability_id}/grouped`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CapabilityCatalog {
    pub groups: Vec<CategoryGroup>,
    pub capability: Labeled,
    pub meta: CategoryGroupsMeta,
}

/// The public apps of one capability, grouped by category (in the order of the category list).
pub async fn by_capability(state: &AppState, capability_id: &str) -> ApiResult<CapabilityCatalog> {
    let capability = capability_of(capability_id, "path.capability_id")?;
    let mut apps = public(state, None, false).await?;
    apps.retain(|app| app.capabilities.contains(&capability));
    apps.sort_by(by_installs);
    let total_apps = apps.len();
    let groups: Vec<CategoryGroup> = CATEGORIES
        .iter()
        .map(|(id, title)| {
            let data: Vec<AppView> = apps.iter().filter(|a| a.category == *id).cloned().collect();
            CategoryGroup {
                category: labeled(id, title),
                count: data.len(),
                data,
            }
        })
        .filter(|group| group.count > 0)
        .collect();
    Ok(CapabilityCatalog {
        meta: CategoryGroupsMeta {
            total_apps,
            group_count: groups.len(),
        },
        groups,
        capability: labeled(capability.id(), capability.title()),
    })
}

/// How the search orders its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchSort {
    InstallsDesc,
    RatingDesc,
    RatingAsc,
    NameAsc,
    NameDesc,
}

/// The query of `GET /v2/apps/search`.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchQuery {
    /// Matched case-insensitively against names and descriptions.
    pub q: Option<String>,
    pub category: Option<String>,
    /// The lowest average rating (0..5).
    pub rating: Option<f64>,
    pub capability: Option<String>,
    pub sort: Option<SearchSort>,
    /// Only the caller's own apps.
    #[serde(default)]
    pub my_apps: bool,
    /// Only the apps the caller enabled.
    #[serde(default)]
    pub installed_apps: bool,
    pub offset: Option<i64>,
    pub limit: Option<i64>,
}

/// The filters a search applied, echoed back.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SearchFilters {
    pub q: Option<String>,
    pub category: Option<String>,
    pub rating: Option<f64>,
    pub capability: Option<String>,
    pub sort: Option<SearchSort>,
    pub my_apps: bool,
    pub installed_apps: bool,
}

/// `GET /v2/apps/search`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SearchResults {
    pub data: Vec<AppView>,
    pub pagination: Pagination,
    pub filters: SearchFilters,
}

fn rating(app: &AppView) -> f64 {
    app.rating_avg.unwrap_or(0.0)
}

/// Searches the apps `uid` may see.
pub async fn search(state: &AppState, uid: &str, query: SearchQuery) -> ApiResult<SearchResults> {
    let page = PAGE.page(query.limit, query.offset)?;
    if query.rating.is_some_and(|r| !(0.0..=5.0).contains(&r)) {
        return Err(ApiError::invalid(
            "query.rating",
            "rating must be between 0 and 5",
        ));
    }
    let capability = query
        .capability
        .as_deref()
        .map(|id| capability_of(id, "query.capability"))
        .transpose()?;
    if let Some(id) = query.category.as_deref() {
        category_of(id, "query.category")?;
    }
    let needle = query
        .q
        .as_deref()
        .map(|q| q.trim().to_lowercase())
        .filter(|q| !q.is_empty());
    let mut apps = available(state, uid, false).await?;
    apps.retain(|app| {
        (!query.my_apps || app.uid.as_deref() == Some(uid))
            && (!query.installed_apps || app.enabled)
            && (query.my_apps
                || query.installed_apps
                || !app.private
                || app.uid.as_deref() == Some(uid))
            && capability.is_none_or(|c| app.capabilities.contains(&c))
            && query
                .category
                .as_deref()
                .is_none_or(|c| in_category(app, c))
            && query.rating.is_none_or(|min| rating(app) >= min)
            && needle.as_deref().is_none_or(|q| {
                app.name.to_lowercase().contains(q) || app.description.to_lowercase().contains(q)
            })
    });
    let by_name = |a: &AppView, b: &AppView| a.name.to_lowercase().cmp(&b.name.to_lowercase());
    match query.sort {
        Some(SearchSort::InstallsDesc) => apps.sort_by(by_installs),
        Some(SearchSort::RatingDesc) => {
            apps.sort_by(|a, b| rating(b).total_cmp(&rating(a)).then_with(|| by_name(a, b)))
        }
        Some(SearchSort::RatingAsc) => {
            apps.sort_by(|a, b| rating(a).total_cmp(&rating(b)).then_with(|| by_name(a, b)))
        }
        Some(SearchSort::NameAsc) => apps.sort_by(by_name),
        Some(SearchSort::NameDesc) => apps.sort_by(|a, b| by_name(b, a)),
        None => match needle.as_deref() {
            // Names that start with the query, then names that contain it, then the rest; most installed first.
            Some(q) => apps.sort_by_key(|app| {
                let name = app.name.to_lowercase();
                let tier = if name.starts_with(q) {
                    0
                } else if name.contains(q) {
                    1
                } else {
                    2
                };
                (tier, -app.installs, name)
            }),
            None => apps.sort_by(by_name),
        },
    }
    let (data, pagination) = paged(apps, page);
    Ok(SearchResults {
        data,
        pagination,
        filters: SearchFilters {
            q: query.q,
            category: query.category,
            rating: query.rating,
            capability: query.capability,
            sort: query.sort,
            my_apps: query.my_apps,
            installed_apps: query.installed_apps,
        },
    })
}

/// The app categories.
pub fn categories() -> Vec<Labeled> {
    CATEGORIES
        .iter()
        .map(|(id, title)| labeled(id, title))
        .collect()
}

/// A capability with what it may declare.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CapabilityInfo {
    pub id: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub triggers: Option<Vec<Labeled>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<Labeled>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<Labeled>>,
}

fn title_of(id: &str) -> String {
    let mut title = String::new();
    for (index, word) in id.split('_').enumerate() {
        if index > 0 {
            title.push(' ');
        }
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            title.extend(first.to_uppercase());
            title.push_str(chars.as_str());
        }
    }
    title
}

/// The notification scopes.
pub fn scopes() -> Vec<Labeled> {
    NotificationScope::ALL
        .iter()
        .map(|s| labeled(s.id(), &title_of(s.id())))
        .collect()
}

/// The capabilities (personas are made through their own routes and not listed).
pub fn capabilities() -> Vec<CapabilityInfo> {
    Capability::ALL
        .into_iter()
        .filter(|c| *c != Capability::Persona)
        .map(|c| CapabilityInfo {
            id: c.id().into(),
            title: c.title().into(),
            triggers: (c == Capability::ExternalIntegration).then(|| {
                TriggerEvent::ALL
                    .iter()
                    .map(|t| labeled(t.id(), &title_of(t.id())))
                    .collect()
            }),
            actions: (c == Capability::ExternalIntegration).then(|| {
                ActionType::ALL
                    .iter()
                    .map(|a| labeled(a.id(), &title_of(a.id())))
                    .collect()
            }),
            scopes: (c == Capability::ProactiveNotification).then(scopes),
        })
        .collect()
}

/// The payment plans.
pub fn plans() -> Vec<Labeled> {
    vec![labeled(MONTHLY_RECURRING, "Monthly Recurring")]
}

/// `GET /v1/conversations/{id}/suggested-apps`: the summarization apps suggested for the conversation, as the
/// user may see them.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SuggestedApps {
    pub suggested_apps: Vec<AppView>,
    pub conversation_id: String,
}

/// The apps suggested for the user's conversation `conversation_id` (404 when it is not theirs), best first;
/// an app deleted since, or no longer visible to the user, is left out.
pub async fn suggested_for(
    state: &AppState,
    uid: &str,
    conversation_id: &str,
) -> ApiResult<SuggestedApps> {
    let conversation = crate::app::conversations::read(state, uid, conversation_id).await?;
    let mut suggested_apps = Vec::new();
    for app_id in &conversation.suggested_summarization_apps {
        match super::one(state, uid, app_id).await {
            Ok(view) => suggested_apps.push(view),
            Err(ApiError::NotFound(_) | ApiError::Forbidden(_)) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(SuggestedApps {
        suggested_apps,
        conversation_id: conversation.id,
    })
}
