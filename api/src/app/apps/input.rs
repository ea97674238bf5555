//! The app an owner writes (`app_data`, the JSON of the reference's `AppCreate`), checked with the 422 rules of
//! spec §7.1 and turned into the domain's [`AppDefinition`].

use std::collections::BTreeSet;

use omi_domain::app::{
    category_title, Action, ActionType, AppDefinition, AuthStep, Capability, ExternalIntegration,
    NotificationScope, ProactiveNotification, TriggerEvent, MONTHLY_RECURRING,
};
use omi_domain::storable::{unstorable_at, NUL_REFUSED};
use serde::Deserialize;
use serde_json::Value;

use crate::app::validation::{check_length, Problems};
use crate::error::{ApiError, ApiResult};

/// The longest name, in characters.
pub const MAX_NAME: usize = 100;
/// The longest description, author, username or URL.
pub const MAX_TEXT: usize = 10_000;
/// The longest prompt.
pub const MAX_PROMPT: usize = 100_000;
/// The most thumbnails and auth steps.
const MAX_ITEMS: usize = 50;

/// `app_data` as sent: enums as strings, so an unknown one is named in the 422 rather than refused whole.
#[derive(Debug, Deserialize)]
struct AppInput {
    name: Option<String>,
    description: Option<String>,
    category: Option<String>,
    author: Option<String>,
    email: Option<String>,
    #[serde(default)]
    capabilities: Vec<String>,
    memory_prompt: Option<String>,
    chat_prompt: Option<String>,
    persona_prompt: Option<String>,
    external_integration: Option<IntegrationInput>,
    proactive_notification: Option<ProactiveInput>,
    #[serde(default)]
    private: bool,
    trigger_workflow_memories: Option<bool>,
    #[serde(default)]
    is_paid: bool,
    price: Option<f64>,
    payment_plan: Option<String>,
    username: Option<String>,
    source_code_url: Option<String>,
    #[serde(default)]
    thumbnails: Vec<String>,
    /// `false` asks to enable an app whose webhook was turned off after failing (spec §5.4).
    disabled: Option<bool>,
}

#[derive(Debug, Deserialize)]
struct IntegrationInput {
    triggers_on: Option<String>,
    webhook_url: Option<String>,
    setup_completed_url: Option<String>,
    setup_instructions_file_path: Option<String>,
    #[serde(default)]
    is_instructions_url: bool,
    #[serde(default)]
    auth_steps: Vec<AuthStep>,
    app_home_url: Option<String>,
    #[serde(default)]
    actions: Vec<ActionInput>,
    chat_tools_manifest_url: Option<String>,
    #[serde(default)]
    chat_messages_enabled: bool,
    chat_messages_target: Option<String>,
    #[serde(default)]
    chat_messages_notify: bool,
    mcp_server_url: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ActionInput {
    action: String,
}

#[derive(Debug, Deserialize)]
struct ProactiveInput {
    #[serde(default)]
    scopes: Vec<String>,
}

/// A checked app: what the owner wrote, whether they want it private, and whether they ask to enable it again
/// after its webhook was turned off.
#[derive(Debug, Clone)]
pub struct CheckedApp {
    pub definition: AppDefinition,
    pub private: bool,
    pub enable_again: bool,
}

/// Parses `app_data`; `current` (the app as it is, for an update) supplies every field the JSON leaves out.
pub fn parse(app_data: &str, current: Option<Value>, author: &str) -> ApiResult<CheckedApp> {
    let sent: Value = serde_json::from_str(app_data)
        .map_err(|e| ApiError::invalid("body.app_data", format!("app_data is not JSON: {e}")))?;
    let Value::Object(fields) = sent else {
        return Err(ApiError::invalid(
            "body.app_data",
            "app_data must be a JSON object",
        ));
    };
    if let Some(path) = unstorable_at(&Value::Object(fields.clone())) {
        let loc = if path.is_empty() {
            "body.app_data".to_string()
        } else {
            format!("body.app_data.{path}")
        };
        return Err(ApiError::invalid(&loc, NUL_REFUSED));
    }
    let mut merged = current.unwrap_or_else(|| Value::Object(Default::default()));
    if let Value::Object(base) = &mut merged {
        base.extend(fields);
    }
    let input: AppInput = serde_path_to_error::deserialize(merged).map_err(|error| {
        let path = error.path().to_string();
        let loc = if path == "." {
            "body.app_data".to_string()
        } else {
            format!("body.app_data.{path}")
        };
        ApiError::invalid(&loc, error.into_inner().to_string())
    })?;
    check(input, author)
}

/// Whether `url` is an absolute `http(s)` URL.
pub fn is_web_url(url: &str) -> bool {
    reqwest::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
}

fn required(problems: &mut Problems, field: &str, value: Option<String>, max: usize) -> String {
    let value = value.unwrap_or_default().trim().to_string();
    let loc = format!("body.app_data.{field}");
    if value.is_empty() {
        problems.add(&loc, format!("{field} is required"));
    } else {
        check_length(problems, &loc, field, &value, max);
    }
    value
}

fn optional(
    problems: &mut Problems,
    field: &str,
    value: Option<String>,
    max: usize,
) -> Option<String> {
    let value = value.filter(|v| !v.trim().is_empty())?;
    check_length(
        problems,
        &format!("body.app_data.{field}"),
        field,
        &value,
        max,
    );
    Some(value)
}

fn optional_url(problems: &mut Problems, field: &str, value: Option<String>) -> Option<String> {
    let value = optional(problems, field, value, MAX_TEXT)?;
    if !is_web_url(value.trim()) {
        problems.add(
            &format!("body.app_data.{field}"),
            format!("{field} must be an http(s) URL"),
        );
    }
    Some(value.trim().to_string())
}

fn check(input: AppInput, author: &str) -> ApiResult<CheckedApp> {
    let mut problems = Problems::new();
    let name = required(&mut problems, "name", input.name, MAX_NAME);
    let description = required(&mut problems, "description", input.description, MAX_TEXT);
    let category = required(&mut problems, "category", input.category, MAX_NAME);
    if !category.is_empty() && category_title(&category).is_none() {
        problems.add(
            "body.app_data.category",
            format!("Unknown category {category:?}"),
        );
    }
    let author = optional(&mut problems, "author", input.author, MAX_NAME)
        .unwrap_or_else(|| author.to_string());
    let email = optional(&mut problems, "email", input.email, MAX_NAME);
    let mut capabilities = BTreeSet::new();
    for (index, id) in input.capabilities.iter().enumerate() {
        match Capability::parse(id) {
            Some(capability) => {
                capabilities.insert(capability);
            }
            None => problems.add(
                &format!("body.app_data.capabilities.{index}"),
                format!("Unknown capability {id:?}"),
            ),
        }
    }
    if input.capabilities.is_empty() {
        problems.add(
            "body.app_data.capabilities",
            "An app needs at least one capability",
        );
    }
    let memory_prompt = optional(
        &mut problems,
        "memory_prompt",
        input.memory_prompt,
        MAX_PROMPT,
    );
    let chat_prompt = optional(&mut problems, "chat_prompt", input.chat_prompt, MAX_PROMPT);
    let persona_prompt = optional(
        &mut problems,
        "persona_prompt",
        input.persona_prompt,
        MAX_PROMPT,
    );
    if capabilities.contains(&Capability::Memories) && memory_prompt.is_none() {
        problems.add(
            "body.app_data.memory_prompt",
            "A conversations app needs a memory_prompt",
        );
    }
    let external_integration = input
        .external_integration
        .map(|integration| check_integration(&mut problems, integration));
    if capabilities.contains(&Capability::ExternalIntegration) && external_integration.is_none() {
        problems.add(
            "body.app_data.external_integration",
            "An external_integration app needs its external_integration",
        );
    }
    let proactive_notification = input.proactive_notification.map(|proactive| {
        let mut scopes = BTreeSet::new();
        for (index, id) in proactive.scopes.iter().enumerate() {
            match NotificationScope::ALL.into_iter().find(|s| s.id() == id) {
                Some(scope) => {
                    scopes.insert(scope);
                }
                None => problems.add(
                    &format!("body.app_data.proactive_notification.scopes.{index}"),
                    format!("Unknown scope {id:?}"),
                ),
            }
        }
        ProactiveNotification { scopes }
    });
    if input.is_paid {
        match input.price {
            Some(price) if price.is_finite() && price >= 0.0 => {}
            _ => problems.add(
                "body.app_data.price",
                "A paid app needs a price of at least 0",
            ),
        }
        match input.payment_plan.as_deref() {
            Some(MONTHLY_RECURRING) => {}
            Some(other) => problems.add(
                "body.app_data.payment_plan",
                format!("Unknown payment plan {other:?}"),
            ),
            None => problems.add(
                "body.app_data.payment_plan",
                "A paid app needs a payment_plan",
            ),
        }
    } else if input.price.is_some_and(|price| !price.is_finite()) {
        problems.add("body.app_data.price", "price must be a finite number");
    }
    let username = optional(&mut problems, "username", input.username, MAX_NAME);
    let source_code_url = optional_url(&mut problems, "source_code_url", input.source_code_url);
    if input.thumbnails.len() > MAX_ITEMS {
        problems.add(
            "body.app_data.thumbnails",
            format!("At most {MAX_ITEMS} thumbnails"),
        );
    }
    problems.or(CheckedApp {
        definition: AppDefinition {
            name,
            description,
            category,
            author,
            email,
            capabilities,
            memory_prompt,
            chat_prompt,
            persona_prompt,
            external_integration,
            proactive_notification,
            trigger_workflow_memories: input.trigger_workflow_memories.unwrap_or(true),
            is_paid: input.is_paid,
            price: input.price,
            payment_plan: input.payment_plan,
            username,
            source_code_url,
            thumbnails: input.thumbnails,
        },
        private: input.private,
        enable_again: input.disabled == Some(false),
    })
}

fn check_integration(problems: &mut Problems, input: IntegrationInput) -> ExternalIntegration {
    let at = |field: &str| format!("body.app_data.external_integration.{field}");
    let triggers_on = input.triggers_on.filter(|t| !t.is_empty()).and_then(|id| {
        let found = TriggerEvent::ALL.into_iter().find(|t| t.id() == id);
        if found.is_none() {
            problems.add(&at("triggers_on"), format!("Unknown trigger {id:?}"));
        }
        found
    });
    let mut actions = Vec::new();
    for (index, action) in input.actions.iter().enumerate() {
        match ActionType::parse(&action.action) {
            Some(action) => actions.push(Action { action }),
            None => problems.add(
                &at(&format!("actions.{index}.action")),
                format!("Unknown action type {:?}", action.action),
            ),
        }
    }
    if triggers_on.is_none() && input.actions.is_empty() {
        problems.add(
            &at("triggers_on"),
            "An external integration needs triggers_on or at least one action",
        );
    }
    let webhook_url = input.webhook_url.filter(|u| !u.trim().is_empty());
    if triggers_on.is_some() && !webhook_url.as_deref().is_some_and(|u| is_web_url(u.trim())) {
        problems.add(&at("webhook_url"), "triggers_on needs a valid webhook_url");
    } else if webhook_url
        .as_deref()
        .is_some_and(|u| !is_web_url(u.trim()))
    {
        problems.add(&at("webhook_url"), "webhook_url must be an http(s) URL");
    }
    let mut url = |field: &str, value: Option<String>| {
        optional_url(problems, &format!("external_integration.{field}"), value)
    };
    let setup_completed_url = url("setup_completed_url", input.setup_completed_url);
    let app_home_url = url("app_home_url", input.app_home_url);
    let chat_tools_manifest_url = url("chat_tools_manifest_url", input.chat_tools_manifest_url);
    let mcp_server_url = url("mcp_server_url", input.mcp_server_url);
    for (index, step) in input.auth_steps.iter().enumerate() {
        if !is_web_url(&step.url) {
            problems.add(
                &at(&format!("auth_steps.{index}.url")),
                "url must be an http(s) URL",
            );
        }
    }
    if input.auth_steps.len() > MAX_ITEMS {
        problems.add(&at("auth_steps"), format!("At most {MAX_ITEMS} auth steps"));
    }
    let setup_instructions_file_path = optional(
        problems,
        "external_integration.setup_instructions_file_path",
        input.setup_instructions_file_path,
        MAX_TEXT,
    );
    if let Some(target) = input.chat_messages_target.as_deref() {
        if !matches!(target, "app" | "main") {
            problems.add(
                &at("chat_messages_target"),
                "chat_messages_target is app or main",
            );
        }
    }
    ExternalIntegration {
        triggers_on,
        webhook_url: webhook_url.map(|u| u.trim().to_string()),
        setup_completed_url,
        setup_instructions_file_path,
        is_instructions_url: input.is_instructions_url,
        auth_steps: input.auth_steps,
        app_home_url,
        actions,
        chat_tools_manifest_url,
        chat_messages_enabled: input.chat_messages_enabled,
        chat_messages_target: input.chat_messages_target,
        chat_messages_notify: input.chat_messages_notify,
        mcp_server_url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems_of(app_data: &str) -> Vec<String> {
        match parse(app_data, None, "Ada") {
            Ok(_) => vec![],
            Err(ApiError::Validation(problems)) => {
                problems.iter().map(|p| format!("{p:?}")).collect()
            }
            Err(other) => vec![other.to_string()],
        }
    }

    const BASE: &str = r#""name":"Notes","description":"d","category":"other""#;

    #[test]
    fn a_plain_chat_app_is_accepted_with_the_default_author() {
        let app = parse(
            &format!(r#"{{{BASE},"capabilities":["chat"],"chat_prompt":"Be kind"}}"#),
            None,
            "Ada",
        )
        .unwrap();
        assert_eq!(app.definition.author, "Ada");
        assert!(app.definition.trigger_workflow_memories);
    }

    #[test]
    fn a_paid_app_needs_a_price_and_a_plan() {
        let found = problems_of(&format!(
            r#"{{{BASE},"capabilities":["chat"],"is_paid":true}}"#
        ));
        assert_eq!(found.len(), 2, "{found:?}");
    }

    #[test]
    fn an_integration_needs_a_trigger_with_a_webhook_or_an_action() {
        let none = problems_of(&format!(
            r#"{{{BASE},"capabilities":["external_integration"],"external_integration":{{}}}}"#
        ));
        assert_eq!(none.len(), 1, "{none:?}");
        let no_url = problems_of(&format!(
            r#"{{{BASE},"capabilities":["external_integration"],"external_integration":{{"triggers_on":"memory_creation","webhook_url":"not a url"}}}}"#
        ));
        assert_eq!(no_url.len(), 1, "{no_url:?}");
        let unknown = problems_of(&format!(
            r#"{{{BASE},"capabilities":["external_integration"],"external_integration":{{"actions":[{{"action":"delete_everything"}}]}}}}"#
        ));
        assert!(
            unknown.iter().any(|p| p.contains("Unknown action type")),
            "{unknown:?}"
        );
    }

    #[test]
    fn an_update_keeps_what_it_does_not_name() {
        let current = serde_json::json!({
            "name": "Notes", "description": "d", "category": "other", "capabilities": ["chat"]
        });
        let app = parse(r#"{"name":"Renamed"}"#, Some(current), "Ada").unwrap();
        assert_eq!(app.definition.name, "Renamed");
        assert_eq!(app.definition.description, "d");
    }
}
