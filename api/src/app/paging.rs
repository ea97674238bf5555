//! Paging: one type for every list of every door, checked in one place.

use schemars::JsonSchema;
use serde::Deserialize;

use crate::error::{ApiError, ApiResult, Problem};

/// `limit` and `offset` as a query string gives them; checked by a [`PageRule`].
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct PageQuery {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// A door's page size for one list: the default and the largest `limit` it accepts (both from the spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRule {
    pub default_limit: i64,
    pub max_limit: i64,
}

/// A checked page: `1 <= limit <= max`, `offset >= 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl PageRule {
    /// The rule with this default and maximum.
    pub const fn new(default_limit: i64, max_limit: i64) -> Self {
        Self {
            default_limit,
            max_limit,
        }
    }

    /// The page a query asks for; see [`PageRule::page`].
    pub fn of(&self, query: &PageQuery) -> ApiResult<Page> {
        self.page(query.limit, query.offset)
    }

    /// The page of `limit` and `offset` as the query gave them (absent: the default and 0), or 422 at
    /// `query.limit` / `query.offset` naming the bounds.
    pub fn page(&self, limit: Option<i64>, offset: Option<i64>) -> ApiResult<Page> {
        let limit = limit.unwrap_or(self.default_limit);
        let offset = offset.unwrap_or(0);
        let mut problems = Vec::new();
        if !(1..=self.max_limit).contains(&limit) {
            problems.push(Problem::new(
                "query.limit",
                format!("limit must be between 1 and {}", self.max_limit),
            ));
        }
        if offset < 0 {
            problems.push(Problem::new("query.offset", "offset must not be negative"));
        }
        if problems.is_empty() {
            Ok(Page { limit, offset })
        } else {
            Err(ApiError::Validation(problems))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: PageRule = PageRule::new(25, 100);

    #[test]
    fn absent_values_take_the_defaults() {
        assert_eq!(
            RULE.page(None, None).unwrap(),
            Page {
                limit: 25,
                offset: 0
            }
        );
    }

    #[test]
    fn bounds_are_inclusive() {
        assert!(RULE.page(Some(1), Some(0)).is_ok());
        assert!(RULE.page(Some(100), Some(7)).is_ok());
    }

    #[test]
    fn every_problem_is_reported_at_its_place() {
        let Err(ApiError::Validation(problems)) = RULE.page(Some(101), Some(-1)) else {
            panic!("expected a validation error");
        };
        let places: Vec<String> = problems.iter().map(|p| p.loc.join(".")).collect();
        assert_eq!(places, ["query.limit", "query.offset"]);
        assert_eq!(problems[0].msg, "limit must be between 1 and 100");
        assert!(RULE.page(Some(0), None).is_err());
    }
}
