//! `GET /v1/users/export`: the JSON document of everything the caller has, and their event log as NDJSON, each an
//! attachment streamed as it is read; nobody else's data in it; a format it does not know is 422.

use crate::leaving_support;

use leaving_support::*;
use omi_tests::*;

both_stores!(
    the_json_export_holds_everything_of_the_caller_and_nothing_else,
    |server| async move {
        let ann = server.token("ann").await;
        let bob = server.token("bob").await;
        let written = write_everything(&server, &ann, "ann-export").await;
        server
            .post("/v1/memories", &bob, json!({"content": "bob-export only"}))
            .await
            .assert_status(200);
        // A chat question (the non-streamed door) and its answer.
        server
            .post(
                "/v1/messages",
                &ann,
                json!({"text": "What did ann-export plan?"}),
            )
            .await
            .assert_status(200);

        let export = server.get("/v1/users/export", &ann).await;
        export.assert_status(200);
        assert_eq!(
            export.header("content-disposition"),
            Some("attachment; filename=\"omi-export.json\"")
        );
        assert!(export
            .header("content-type")
            .is_some_and(|kind| kind.starts_with("application/json")));
        assert!(!export.text.contains("bob-export"), "another user's data");
        let profile = server.get("/v1/users/profile", &ann).await;
        assert_eq!(export["profile"], profile.json);
        assert_eq!(export["profile"]["name"], "ann-export Doe");
        let people = server.get("/v1/users/people", &ann).await;
        assert_eq!(export["people"], people.json);
        assert_eq!(export["people"][0]["name"], "ann-export Friend");
        let messages = export["chat_messages"].as_array().unwrap();
        assert_eq!(
            messages.len(),
            2,
            "the question and its answer: {messages:?}"
        );
        assert_eq!(messages[0]["sender"], "human");
        assert_eq!(messages[0]["text"], "What did ann-export plan?");
        assert_eq!(messages[1]["sender"], "ai");

        let memories = server.get("/v1/memories?limit=1000", &ann).await;
        assert_eq!(export["memories"], memories.json, "every memory, as listed");
        let items = server.get("/v1/action-items?limit=500", &ann).await;
        assert_eq!(export["action_items"], items["action_items"]);
        let conversations = export["conversations"].as_array().unwrap();
        let ids: Vec<&str> = conversations
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        let mut expected: Vec<&str> = written.conversations.iter().map(String::as_str).collect();
        expected.sort();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(sorted, expected);
        for conversation in conversations {
            let single = server
                .get(
                    &format!("/v1/conversations/{}", conversation["id"].as_str().unwrap()),
                    &ann,
                )
                .await;
            assert_eq!(conversation, &single.json, "in full, transcript included");
        }
    }
);

both_stores!(
    the_event_export_is_the_callers_log_as_ndjson,
    |server| async move {
        let ann = server.token("ann").await;
        let bob = server.token("bob").await;
        write_everything(&server, &ann, "ann-events").await;
        server
            .post("/v1/memories", &bob, json!({"content": "bob-events only"}))
            .await
            .assert_status(200);

        let (headers, text) = event_export(&server, &ann).await;
        assert_eq!(
            headers["content-disposition"],
            "attachment; filename=\"omi-events.ndjson\""
        );
        assert_eq!(headers["content-type"], "application/x-ndjson");
        assert!(
            headers.get("content-length").is_none(),
            "streamed as it is read, not gathered first"
        );
        assert!(text.ends_with('\n'));
        let cli = server.cli(&["events", "--uid", "ann"]).await;
        cli.assert_success();
        assert_eq!(text, cli.stdout, "the lines of `omi-server events`");
        let lines: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert!(lines.iter().all(|line| line["uid"] == "ann"));
        let (paged, _) = {
            let answer = server.get("/v1/changes?limit=1000", &ann).await;
            (answer["events"].as_array().unwrap().clone(), ())
        };
        assert_eq!(lines.len(), paged.len(), "every event, in commit order");
        for (line, event) in lines.iter().zip(&paged) {
            assert_eq!(line["id"], event["id"]);
            assert_eq!(line["payload"], event["payload"]);
        }
    }
);

both_stores!(a_bad_format_or_no_token_gets_4xx, |server| async move {
    let ann = server.token("ann").await;
    let unknown = server.get("/v1/users/export?format=csv", &ann).await;
    unknown.assert_status(422);
    assert!(unknown["detail"].is_array());
    let nul = server.get("/v1/users/export?format=%00", &ann).await;
    nul.assert_status(422);
    server.get("/v1/users/export", "").await.assert_status(401);
    let empty = server.get("/v1/users/export", &ann).await;
    empty.assert_status(200);
    let profile = server.get("/v1/users/profile", &ann).await;
    assert_eq!(
        empty.json,
        json!({"profile": profile.json, "conversations": [], "memories": [], "people": [],
               "action_items": [], "chat_messages": []})
    );
    let (_, nothing) = event_export(&server, &ann).await;
    assert_eq!(nothing, "");
});
