//! The rules of a chat thread, one test per rule.

use chrono::{TimeZone, Utc};
use cqrs_es::test::TestFramework;

use super::*;
use crate::{DomainError, Timestamp};

type Framework = TestFramework<ChatThread>;

fn at() -> Timestamp {
    Utc.timestamp_opt(1_764_626_400, 0).unwrap()
}

fn sent(id: &str, number: u32) -> ChatEvent {
    ChatEvent::HumanMessageSent {
        uid: "u1".into(),
        app_id: None,
        message_id: id.into(),
        text: "What did I promise Anna?".into(),
        session: 0,
        number,
        created_at: at(),
    }
}

fn answered(id: &str, number: u32) -> ChatEvent {
    ChatEvent::AiAnswerGiven {
        uid: "u1".into(),
        app_id: None,
        message_id: id.into(),
        text: "To send the slides by Friday.".into(),
        memories_id: vec!["c1".into()],
        kind: MessageType::Text,
        session: 0,
        number,
        created_at: at(),
    }
}

fn report(uid: &str, id: &str) -> ChatCommand {
    ChatCommand::ReportMessage {
        uid: uid.into(),
        message_id: id.into(),
        reason: Some("wrong".into()),
        at: at(),
    }
}

fn clear() -> ChatCommand {
    ChatCommand::ClearThread {
        uid: "u1".into(),
        app_id: None,
        initial_message_id: "g2".into(),
        initial_text: "Hi again".into(),
        at: at(),
    }
}

#[test]
fn messages_are_numbered_in_the_order_they_are_added() {
    Framework::with(())
        .given(vec![sent("m1", 0)])
        .when(ChatCommand::GiveAiAnswer {
            uid: "u1".into(),
            app_id: None,
            message_id: "m2".into(),
            text: "To send the slides by Friday.".into(),
            memories_id: vec!["c1".into()],
            kind: MessageType::Text,
            at: at(),
        })
        .then_expect_events(vec![answered("m2", 1)]);
}

#[test]
fn a_blank_message_is_refused() {
    Framework::with(())
        .given_no_previous_events()
        .when(ChatCommand::SendHumanMessage {
            uid: "u1".into(),
            app_id: None,
            message_id: "m1".into(),
            text: "  ".into(),
            at: at(),
        })
        .then_expect_error(DomainError::Invalid("text must not be empty".into()));
}

#[test]
fn an_answer_cites_at_most_five_conversations() {
    Framework::with(())
        .given(vec![sent("m1", 0)])
        .when(ChatCommand::GiveAiAnswer {
            uid: "u1".into(),
            app_id: None,
            message_id: "m2".into(),
            text: "Many".into(),
            memories_id: (0..6).map(|i| format!("c{i}")).collect(),
            kind: MessageType::Text,
            at: at(),
        })
        .then_expect_error(DomainError::Invalid(
            "an answer cites at most 5 conversations".into(),
        ));
}

#[test]
fn clearing_ends_the_session_and_greets_in_the_next_one() {
    Framework::with(())
        .given(vec![sent("m1", 0), answered("m2", 1)])
        .when(clear())
        .then_expect_events(vec![
            ChatEvent::ThreadCleared {
                uid: "u1".into(),
                app_id: None,
                session: 0,
                cleared_at: at(),
            },
            ChatEvent::InitialMessageGiven {
                uid: "u1".into(),
                app_id: None,
                message_id: "g2".into(),
                text: "Hi again".into(),
                session: 1,
                number: 2,
                created_at: at(),
            },
        ]);
}

#[test]
fn an_ai_answer_is_reported_once() {
    Framework::with(())
        .given(vec![sent("m1", 0), answered("m2", 1)])
        .when(report("u1", "m2"))
        .then_expect_events(vec![ChatEvent::MessageReported {
            uid: "u1".into(),
            message_id: "m2".into(),
            reason: Some("wrong".into()),
            reported_at: at(),
        }]);
    Framework::with(())
        .given(vec![
            sent("m1", 0),
            answered("m2", 1),
            ChatEvent::MessageReported {
                uid: "u1".into(),
                message_id: "m2".into(),
                reason: None,
                reported_at: at(),
            },
        ])
        .when(report("u1", "m2"))
        .then_expect_error(DomainError::Conflict(ALREADY_REPORTED.into()));
}

#[test]
fn a_human_message_cannot_be_reported() {
    Framework::with(())
        .given(vec![sent("m1", 0)])
        .when(report("u1", "m1"))
        .then_expect_error(DomainError::Conflict(NOT_AN_AI_MESSAGE.into()));
}

#[test]
fn a_message_of_a_cleared_session_is_not_found() {
    Framework::with(())
        .given(vec![
            sent("m1", 0),
            answered("m2", 1),
            ChatEvent::ThreadCleared {
                uid: "u1".into(),
                app_id: None,
                session: 0,
                cleared_at: at(),
            },
        ])
        .when(report("u1", "m2"))
        .then_expect_error(DomainError::NotFound("Message"));
}

#[test]
fn another_users_message_is_not_found() {
    Framework::with(())
        .given(vec![sent("m1", 0), answered("m2", 1)])
        .when(report("u2", "m2"))
        .then_expect_error(DomainError::NotFound("Message"));
}

#[test]
fn a_rating_is_one_minus_one_or_none() {
    let rate = |rating| ChatCommand::RateMessage {
        uid: "u1".into(),
        message_id: "m2".into(),
        rating,
        reason: Some(RatingReason::TooVerbose),
        at: at(),
    };
    Framework::with(())
        .given(vec![sent("m1", 0), answered("m2", 1)])
        .when(rate(Some(2)))
        .then_expect_error(DomainError::Invalid("rating must be 1, -1 or 0".into()));
    Framework::with(())
        .given(vec![sent("m1", 0), answered("m2", 1)])
        .when(rate(None))
        .then_expect_events(vec![ChatEvent::MessageRated {
            uid: "u1".into(),
            message_id: "m2".into(),
            rating: None,
            reason: Some(RatingReason::TooVerbose),
            rated_at: at(),
        }]);
}

#[test]
fn an_empty_thread_is_greeted_once() {
    let greet = |id: &str| ChatCommand::GreetEmptyThread {
        uid: "u1".into(),
        app_id: None,
        message_id: id.into(),
        text: "Hi".into(),
        at: at(),
    };
    let greeted = ChatEvent::InitialMessageGiven {
        uid: "u1".into(),
        app_id: None,
        message_id: "g1".into(),
        text: "Hi".into(),
        session: 0,
        number: 0,
        created_at: at(),
    };
    Framework::with(())
        .given_no_previous_events()
        .when(greet("g1"))
        .then_expect_events(vec![greeted.clone()]);
    Framework::with(())
        .given(vec![greeted])
        .when(greet("g2"))
        .then_expect_events(vec![]);
}
