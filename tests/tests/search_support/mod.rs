//! What the search suites share: a fixed corpus of conversations on distinct subjects, questions whose answer
//! is one of them, and writing the corpus through the API.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use omi_tests::*;

/// Fifteen conversations, one subject each; the first speaker of each line is the user.
pub const CORPUS: [&[&str]; 15] = [
    &[
        "I need to reschedule my dentist appointment because the tooth filling still hurts.",
        "The dental clinic said the hygienist can see you Thursday morning for the cleaning.",
        "Fine, and ask the dentist whether the crown needs an x-ray first.",
    ],
    &[
        "My marathon training plan says twenty miles this Sunday but my knee is sore.",
        "Ease off the long run, the Boston marathon is still eight weeks away.",
        "I will ice the knee and do intervals on the track instead.",
    ],
    &[
        "The accountant reviewed my tax return and found more deductions for the home office.",
        "Remember the filing deadline is in April, the IRS forms must be signed.",
        "I will send the receipts for the deductions to the accountant this week.",
    ],
    &[
        "We are planning a surprise party for Anna on Saturday, she turns thirty.",
        "I ordered a chocolate cake and balloons, her sister brings the decorations.",
        "Keep it secret, Anna must not see the invitations.",
    ],
    &[
        "The Kubernetes migration failed, the new pods crash during the deployment.",
        "We did a rollback of the cluster to the previous release last night.",
        "Let us check the container memory limits before the next rollout.",
    ],
    &[
        "My sourdough starter finally bubbles after feeding it rye flour for a week.",
        "Bake the loaf in a dutch oven at high temperature for a crispy crust.",
        "I will let the dough proof overnight in the fridge.",
    ],
    &[
        "For the vacation in Portugal we booked flights to Lisbon in June.",
        "The hotel in Lisbon is near the river, then we drive south to the Algarve beaches.",
        "I want to try the custard tarts and the seafood in Porto too.",
    ],
    &[
        "The brakes of my car keep squeaking when I stop at a red light.",
        "The mechanic says the brake pads are worn and the rear tires need replacement.",
        "I booked the garage for Monday to fix the brakes.",
    ],
    &[
        "The tomatoes in the garden need more watering in this heat.",
        "Add compost to the vegetable beds before planting the peppers.",
        "I will build a trellis for the cucumbers this weekend.",
    ],
    &[
        "My piano teacher wants me to practice the Chopin nocturne slowly.",
        "Play the scales every morning, the left hand is still uneven.",
        "The recital is next month so I practice an hour a day.",
    ],
    &[
        "We visited a two bedroom apartment, the landlord wants a one year lease.",
        "The rent is high but the neighbourhood is quiet and close to the station.",
        "I will ask the landlord whether pets are allowed before signing.",
    ],
    &[
        "The quarterly budget review shows marketing spent more than planned.",
        "Finance wants a new revenue forecast for the next quarter by Friday.",
        "I will cut the advertising spend and update the spreadsheet.",
    ],
    &[
        "The puppy has its vaccination at the veterinarian tomorrow.",
        "The vet also wants to check the puppy's ears and weight.",
        "I will bring the dog's health record to the clinic.",
    ],
    &[
        "My Spanish conversation class practices irregular verbs this week.",
        "Learn twenty new vocabulary words a day and speak with a tutor.",
        "I will watch a film in Spanish with subtitles tonight.",
    ],
    &[
        "The book club discusses the novel's last chapters on Wednesday.",
        "The author wrote the ending from the point of view of the daughter.",
        "I will finish reading the book and bring questions about the ending.",
    ],
];

/// Questions and the index in [`CORPUS`] of the conversation that answers each.
pub const QUESTIONS: [(&str, usize); 8] = [
    ("when is the dentist appointment?", 0),
    ("what about my knee and the marathon", 1),
    ("what did the accountant say about deductions", 2),
    ("surprise party for Anna", 3),
    ("why did we roll back the kubernetes cluster", 4),
    ("sourdough starter", 5),
    ("flights to Lisbon", 6),
    ("squeaking brakes", 7),
];

/// The day conversation `n` of the corpus started: 2026-01-01 plus `n` days, at 09:00 UTC.
pub fn started_at(n: usize) -> String {
    format!("2026-01-{:02}T09:00:00+00:00", n + 1)
}

/// The segments of `lines`: the first and last are the user's, the middle one another speaker's.
pub fn segments(lines: &[&str]) -> Value {
    let mut start = 0.0;
    let list: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(n, text)| {
            let user = n % 2 == 0;
            let segment = json!({
                "text": text,
                "speaker": if user { "SPEAKER_00" } else { "SPEAKER_01" },
                "is_user": user,
                "start": start,
                "end": start + 5.0,
            });
            start += 6.0;
            segment
        })
        .collect();
    Value::Array(list)
}

/// Imports conversation `lines` started at `started_at` and returns its id.
pub async fn import(server: &TestServer, token: &str, lines: &[&str], started_at: &str) -> String {
    let created = server
        .post(
            "/v1/conversations/from-segments",
            token,
            json!({"transcript_segments": segments(lines), "started_at": started_at}),
        )
        .await;
    created.assert_status(200);
    created["id"].as_str().unwrap().to_string()
}

/// Waits until conversation `id` has left processing; returns it.
pub async fn processed(server: &TestServer, token: &str, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let conversation = server.get(&format!("/v1/conversations/{id}"), token).await;
        conversation.assert_status(200);
        let status = conversation["status"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if (status != "processing" && status != "in_progress") || Instant::now() >= deadline {
            return conversation.json;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Imports the whole corpus for the token's user, waits until each is completed, and returns the ids in the
/// corpus's order.
pub async fn import_corpus(server: &TestServer, token: &str) -> Vec<String> {
    let mut ids = Vec::with_capacity(CORPUS.len());
    for (n, lines) in CORPUS.iter().enumerate() {
        ids.push(import(server, token, lines, &started_at(n)).await);
    }
    for id in &ids {
        let conversation = processed(server, token, id).await;
        assert_eq!(conversation["status"], "completed", "{conversation}");
        assert_eq!(conversation["discarded"], false, "{conversation}");
    }
    ids
}

/// `POST /v1/conversations/search` with `body`, answered 200; returns the answer.
pub async fn search(server: &TestServer, token: &str, body: Value) -> Value {
    let found = server.post("/v1/conversations/search", token, body).await;
    found.assert_status(200);
    found.json
}

/// The ids of a search answer's items, in order.
pub fn item_ids(answer: &Value) -> Vec<String> {
    answer["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {answer}"))
        .iter()
        .map(|item| item["id"].as_str().unwrap().to_string())
        .collect()
}
