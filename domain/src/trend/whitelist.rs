//! The fixed whitelists of trend topics, one per category. The spec names no lists, so these are well-known
//! names people speak of; a topic appears in one category only, and no topic is a word other than a name.

use super::TrendCategory;

/// Every category's topics, spelled as trends show them.
pub const TOPICS: &[(TrendCategory, &[&str])] = &[
    (
        TrendCategory::Ceo,
        &[
            "Elon Musk",
            "Tim Cook",
            "Sundar Pichai",
            "Satya Nadella",
            "Mark Zuckerberg",
            "Jensen Huang",
            "Sam Altman",
            "Andy Jassy",
            "Lisa Su",
            "Dario Amodei",
            "Demis Hassabis",
            "Marc Benioff",
            "Brian Chesky",
            "Jamie Dimon",
            "Mary Barra",
            "Patrick Collison",
            "Daniel Ek",
            "Pat Gelsinger",
        ],
    ),
    (
        TrendCategory::Company,
        &[
            "Apple",
            "Google",
            "Microsoft",
            "Amazon",
            "Meta",
            "Tesla",
            "Nvidia",
            "OpenAI",
            "Anthropic",
            "Netflix",
            "Samsung",
            "Intel",
            "AMD",
            "IBM",
            "Oracle",
            "Salesforce",
            "Uber",
            "Airbnb",
            "Spotify",
            "Stripe",
            "SpaceX",
            "Shopify",
            "Adobe",
            "Sony",
        ],
    ),
    (
        TrendCategory::SoftwareProduct,
        &[
            "Windows",
            "macOS",
            "iOS",
            "Android",
            "Linux",
            "Chrome",
            "Safari",
            "Firefox",
            "Slack",
            "Zoom",
            "Notion",
            "Figma",
            "Excel",
            "PowerPoint",
            "Photoshop",
            "WhatsApp",
            "Instagram",
            "TikTok",
            "YouTube",
            "Gmail",
            "Outlook",
            "Microsoft Teams",
            "VS Code",
            "GitHub",
            "Jira",
            "Dropbox",
            "Telegram",
        ],
    ),
    (
        TrendCategory::HardwareProduct,
        &[
            "iPhone",
            "iPad",
            "MacBook",
            "Apple Watch",
            "AirPods",
            "Vision Pro",
            "Google Pixel",
            "Samsung Galaxy",
            "Kindle",
            "PlayStation",
            "Xbox",
            "Nintendo Switch",
            "Steam Deck",
            "Meta Quest",
            "Cybertruck",
            "Oura Ring",
            "Fitbit",
            "GoPro",
            "Raspberry Pi",
            "Omi",
        ],
    ),
    (
        TrendCategory::AiProduct,
        &[
            "ChatGPT",
            "Claude",
            "Gemini",
            "Copilot",
            "Midjourney",
            "DALL-E",
            "Perplexity",
            "Llama",
            "Grok",
            "Siri",
            "Alexa",
            "Sora",
            "Stable Diffusion",
            "Mistral",
            "DeepSeek",
        ],
    ),
];

/// The whitelist of `category`.
pub fn topics(category: TrendCategory) -> &'static [&'static str] {
    TOPICS
        .iter()
        .find(|(c, _)| *c == category)
        .map_or(&[], |(_, topics)| topics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_has_a_whitelist_and_no_topic_is_in_two() {
        for category in TrendCategory::ALL {
            assert!(!topics(category).is_empty(), "{category:?}");
        }
        let mut all: Vec<String> = TOPICS
            .iter()
            .flat_map(|(_, topics)| topics.iter().map(|t| t.to_ascii_lowercase()))
            .collect();
        let count = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), count, "a topic is in two categories");
    }
}
