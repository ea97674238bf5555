//! The words the offline recap writer looks for and the films it suggests: fixed lists, so the same year always
//! reads the same.

pub(super) const FUN_CATEGORIES: &[&str] = &[
    "entertainment",
    "social",
    "music",
    "sports",
    "travel",
    "romantic",
    "family",
];
pub(super) const WORK_CATEGORIES: &[&str] = &[
    "work",
    "business",
    "technology",
    "entrepreneurship",
    "finance",
];
pub(super) const FUN_CUES: &[&str] = &[
    "fun",
    "party",
    "celebrat",
    "enjoy",
    "amazing",
    "awesome",
    "great time",
];
pub(super) const HUMOR_CUES: &[&str] = &["laugh", "funny", "haha", "lol", "joke", "hilarious"];
pub(super) const EMBARRASSING_CUES: &[&str] =
    &["embarrass", "awkward", "oops", "cringe", "humiliat"];
pub(super) const STRESS_CUES: &[&str] = &[
    "stress",
    "deadline",
    "worried",
    "worry",
    "anxious",
    "urgent",
    "overwhelm",
    "pressure",
];
pub(super) const PLANNING_CUES: &[&str] = &["plan", "let's", "we should", "meeting", "together"];
pub(super) const FOODS: &[&str] = &[
    "pizza",
    "sushi",
    "coffee",
    "tacos",
    "pasta",
    "ramen",
    "burger",
    "curry",
    "salad",
    "chocolate",
    "tea",
    "pho",
    "dumplings",
    "steak",
    "ice cream",
];

/// Films suggested after each group of categories, the first group that holds the top category winning.
pub(super) const MOVIES: &[(&[&str], [&str; 5])] = &[
    (
        &["technology", "science", "design"],
        [
            "The Social Network",
            "Her",
            "Ex Machina",
            "The Imitation Game",
            "Hidden Figures",
        ],
    ),
    (
        &[
            "business",
            "entrepreneurship",
            "finance",
            "economics",
            "work",
        ],
        [
            "Moneyball",
            "The Founder",
            "Jerry Maguire",
            "The Big Short",
            "Joy",
        ],
    ),
    (
        &["health", "sports", "psychology"],
        [
            "Rocky",
            "Soul Surfer",
            "Inside Out",
            "Free Solo",
            "The Blind Side",
        ],
    ),
    (
        &["travel", "environment", "weather"],
        [
            "The Secret Life of Walter Mitty",
            "Into the Wild",
            "Up",
            "Wild",
            "Lion",
        ],
    ),
    (
        &["family", "parenting", "romantic", "social", "personal"],
        [
            "About Time",
            "Little Miss Sunshine",
            "Coco",
            "The Intouchables",
            "Big Fish",
        ],
    ),
    (
        &[
            "music",
            "entertainment",
            "literature",
            "history",
            "architecture",
        ],
        [
            "Whiplash",
            "La La Land",
            "Amadeus",
            "Midnight in Paris",
            "Hugo",
        ],
    ),
];
pub(super) const MOVIES_OTHERWISE: [&str; 5] = [
    "The Secret Life of Walter Mitty",
    "Good Will Hunting",
    "Inside Out",
    "The Intouchables",
    "Forrest Gump",
];
