//! Folders (spec §2.9, §7.13) on both stores: the system folders created on first use, custom folders and their
//! checks, the fifty-folder limit, reordering, deleting with and without a target, moving conversations one at
//! a time and in bulk, and the counts that follow moves, discards, deletions and merges. Another user's folder
//! or conversation is never found.

use omi_tests::*;

use crate::folder_support;

use folder_support::{count, create, folder_id, folders, move_to, named, processed};

const SYSTEM: [&str; 10] = [
    "Personal",
    "Work",
    "Health",
    "Education",
    "Finance",
    "Travel",
    "Social",
    "Technology",
    "Entertainment",
    "Other",
];

fn names(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|f| f["name"].as_str().unwrap().to_string())
        .collect()
}

fn ids(list: &[Value]) -> Vec<String> {
    list.iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

both_stores!(
    the_ten_system_folders_are_created_once_on_first_list,
    |server| async move {
        let alice = server.token("alice").await;
        let first = folders(&server, &alice).await;
        assert_eq!(names(&first), SYSTEM);
        for (order, folder) in first.iter().enumerate() {
            assert_eq!(folder["order"], order as i64, "{folder}");
            assert_eq!(folder["is_system"], true);
            assert_eq!(folder["is_default"], folder["name"] == "Other");
            assert_eq!(folder["color"], "#6B7280");
            assert_eq!(folder["icon"], "📁");
            assert_eq!(folder["conversation_count"], 0);
            assert_eq!(
                folder["category_mapping"],
                folder["name"].as_str().unwrap().to_lowercase()
            );
        }
        let again = folders(&server, &alice).await;
        assert_eq!(again, first, "a second list creates nothing");

        let bob = server.token("bob").await;
        let theirs = folders(&server, &bob).await;
        assert_eq!(names(&theirs), SYSTEM);
        for id in ids(&theirs) {
            assert!(!ids(&first).contains(&id), "ids are per user");
            server
                .get(&format!("/v1/folders/{id}"), &alice)
                .await
                .assert_status(404);
        }
    }
);

both_stores!(
    custom_folders_are_created_read_and_changed,
    |server| async move {
        let token = server.token("alice").await;
        let created = server
            .post(
                "/v1/folders",
                &token,
                json!({"name": "  Side projects ", "description": "Anything I build at night",
                       "color": "#FF8800", "icon": "💡"}),
            )
            .await;
        created.assert_status(200);
        assert_eq!(created["name"], "Side projects", "the name is trimmed");
        assert_eq!(created["description"], "Anything I build at night");
        assert_eq!(created["color"], "#FF8800");
        assert_eq!(created["icon"], "💡");
        assert_eq!(created["order"], 10, "after the ten system folders");
        assert_eq!(created["is_system"], false);
        assert_eq!(created["is_default"], false);
        assert_eq!(created["conversation_count"], 0);
        let id = created["id"].as_str().unwrap().to_string();
        let path = format!("/v1/folders/{id}");
        assert_eq!(server.get(&path, &token).await.json, created.json);

        let plain = server
            .post("/v1/folders", &token, json!({"name": "Plain"}))
            .await;
        plain.assert_status(200);
        assert_eq!(plain["color"], "#6B7280");
        assert_eq!(plain["icon"], "📁");
        assert_eq!(plain["description"], Value::Null);
        assert_eq!(plain["order"], 11);

        let changed = server
            .patch(
                &path,
                &token,
                json!({"name": "Night work", "color": "#00AA11", "order": 3}),
            )
            .await;
        changed.assert_status(200);
        assert_eq!(changed["name"], "Night work");
        assert_eq!(changed["color"], "#00AA11");
        assert_eq!(changed["order"], 3);
        assert_eq!(changed["description"], "Anything I build at night", "kept");
        assert_eq!(changed["created_at"], created["created_at"]);
        let cleared = server
            .patch(&path, &token, json!({"description": null}))
            .await;
        cleared.assert_status(200);
        assert_eq!(cleared["description"], Value::Null);

        server
            .patch("/v1/folders/nope", &token, json!({"name": "x"}))
            .await
            .assert_status(404);
        server
            .get("/v1/folders/nope", &token)
            .await
            .assert_status(404);
        let bob = server.token("bob").await;
        server
            .patch(&path, &bob, json!({"name": "mine"}))
            .await
            .assert_status(404);
        server.get(&path, &bob).await.assert_status(404);
    }
);

both_stores!(
    bad_folder_input_is_refused_and_writes_nothing,
    |server| async move {
        let token = server.token("alice").await;
        let id = create(&server, &token, "Keep").await;
        let before = folders(&server, &token).await;
        let huge = "x".repeat(200_000);
        for (body, place) in [
            (json!({"name": ""}), "name"),
            (json!({"name": "   "}), "name"),
            (json!({"name": "x".repeat(101)}), "name"),
            (json!({"name": huge}), "name"),
            (
                json!({"name": "ok", "description": "d".repeat(501)}),
                "description",
            ),
            (json!({"name": "ok", "color": "red"}), "color"),
            (json!({"name": "ok", "color": "#12345G"}), "color"),
            (json!({"name": "ok", "icon": "i".repeat(33)}), "icon"),
            (json!({"name": "a\u{0}b"}), "name"),
            (json!({"name": 7}), "name"),
        ] {
            let refused = server.post("/v1/folders", &token, body.clone()).await;
            refused.assert_status(422);
            assert!(
                refused.text.contains(place),
                "{body}: the refusal names {place}: {}",
                refused.text
            );
            server
                .patch(&format!("/v1/folders/{id}"), &token, body.clone())
                .await
                .assert_status(422);
        }
        for order in [json!(-1), json!(i64::MAX), json!(1e300), json!("first")] {
            let refused = server
                .patch(
                    &format!("/v1/folders/{id}"),
                    &token,
                    json!({ "order": order }),
                )
                .await;
            refused.assert_status(422);
            assert!(refused.text.contains("order"), "{}", refused.text);
        }
        for path in [
            "/v1/folders/a%00b".to_string(),
            format!("/v1/folders/{}", "y".repeat(10_000)),
            format!("/v1/folders/{id}/conversations?limit=1001"),
            format!("/v1/folders/{id}/conversations?limit=0"),
            format!("/v1/folders/{id}/conversations?offset=-1"),
        ] {
            let answer = server.get(&path, &token).await;
            assert!(
                answer.status == 404 || answer.status == 422,
                "{path}: {} {}",
                answer.status,
                answer.text
            );
        }
        server
            .request(
                Method::DELETE,
                &format!("/v1/folders/{id}?move_to_folder_id=a%00b"),
                &token,
                None,
            )
            .await
            .assert_status(422);
        assert_eq!(folders(&server, &token).await, before, "nothing changed");
    }
);

both_stores!(fifty_custom_folders_and_no_more, |server| async move {
    let token = server.token("alice").await;
    for n in 0..50 {
        create(&server, &token, &format!("Folder {n}")).await;
    }
    let refused = server
        .post("/v1/folders", &token, json!({"name": "One more"}))
        .await;
    refused.assert_status(400);
    assert_eq!(refused["detail"], "Maximum of 50 custom folders reached");
    let list = folders(&server, &token).await;
    assert_eq!(list.len(), 60);
    assert_eq!(list.last().unwrap()["order"], 59);
    // Another user has a limit of their own.
    let bob = server.token("bob").await;
    create(&server, &bob, "Mine").await;
});

both_stores!(
    a_reorder_puts_the_listed_folders_first,
    |server| async move {
        let token = server.token("alice").await;
        let custom = create(&server, &token, "Ideas").await;
        let other = folder_id(&server, &token, "Other").await;
        let reordered = server
            .post(
                "/v1/folders/reorder",
                &token,
                json!({"folder_ids": [custom.clone(), other.clone()]}),
            )
            .await;
        reordered.assert_status(200);
        assert_eq!(reordered.json, json!({"status": "ok"}));
        let list = folders(&server, &token).await;
        let mut expected = vec!["Ideas".to_string(), "Other".to_string()];
        expected.extend(SYSTEM[..9].iter().map(|s| s.to_string()));
        assert_eq!(names(&list), expected);
        for (order, folder) in list.iter().enumerate() {
            assert_eq!(folder["order"], order as i64);
        }

        let bob = server.token("bob").await;
        let bobs = folder_id(&server, &bob, "Work").await;
        for (body, status) in [
            (json!({"folder_ids": ["nope"]}), 404),
            (json!({"folder_ids": [other.clone(), bobs]}), 404),
            (json!({"folder_ids": [other.clone(), other.clone()]}), 422),
            (json!({"folder_ids": vec!["x"; 61]}), 422),
            (json!({"folder_ids": "x"}), 422),
        ] {
            server
                .post("/v1/folders/reorder", &token, body.clone())
                .await
                .assert_status(status);
        }
        assert_eq!(folders(&server, &token).await, list, "nothing changed");
    }
);

both_stores!(
    a_deleted_folder_hands_its_conversations_on,
    |server| async move {
        let token = server.token("alice").await;
        let first = processed(&server, &token, "We decided to plant the garden in spring.").await;
        let second = processed(
            &server,
            &token,
            "We decided to walk along the river after lunch.",
        )
        .await;
        let ideas = create(&server, &token, "Ideas").await;
        let later = create(&server, &token, "Later").await;
        for conversation in [&first, &second] {
            move_to(
                &server,
                &token,
                conversation["id"].as_str().unwrap(),
                json!(ideas),
            )
            .await
            .assert_status(200);
        }
        assert_eq!(count(&server, &token, &ideas).await, 2);

        server
            .delete(
                &format!("/v1/folders/{ideas}?move_to_folder_id=nope"),
                &token,
            )
            .await
            .assert_status(404);
        let work = folder_id(&server, &token, "Work").await;
        let refused = server.delete(&format!("/v1/folders/{work}"), &token).await;
        refused.assert_status(400);
        assert_eq!(refused["detail"], "System folders cannot be deleted");
        server
            .delete(
                &format!("/v1/folders/{ideas}?move_to_folder_id={ideas}"),
                &token,
            )
            .await
            .assert_status(400);

        server
            .delete(
                &format!("/v1/folders/{ideas}?move_to_folder_id={later}"),
                &token,
            )
            .await
            .assert_status(204);
        server
            .get(&format!("/v1/folders/{ideas}"), &token)
            .await
            .assert_status(404);
        assert_eq!(count(&server, &token, &later).await, 2);
        for conversation in [&first, &second] {
            let id = conversation["id"].as_str().unwrap();
            let read = server.get(&format!("/v1/conversations/{id}"), &token).await;
            assert_eq!(read["folder_id"], later.as_str());
        }

        let other = folder_id(&server, &token, "Other").await;
        let before = count(&server, &token, &other).await;
        server
            .delete(&format!("/v1/folders/{later}"), &token)
            .await
            .assert_status(204);
        assert_eq!(
            count(&server, &token, &other).await,
            before + 2,
            "to the default folder"
        );
        server
            .delete(&format!("/v1/folders/{later}"), &token)
            .await
            .assert_status(404);
        let bob = server.token("bob").await;
        let bobs = create(&server, &bob, "Bob's").await;
        server
            .delete(&format!("/v1/folders/{bobs}"), &token)
            .await
            .assert_status(404);
        let theirs = create(&server, &token, "Theirs").await;
        server
            .delete(
                &format!("/v1/folders/{theirs}?move_to_folder_id={bobs}"),
                &token,
            )
            .await
            .assert_status(404);
    }
);

both_stores!(
    a_conversation_moves_only_into_its_owners_folders,
    |server| async move {
        let alice = server.token("alice").await;
        let bob = server.token("bob").await;
        let conversation = processed(
            &server,
            &alice,
            "We decided to try the new bakery on Saturday.",
        )
        .await;
        let id = conversation["id"].as_str().unwrap().to_string();
        let filed = conversation["folder_id"].clone();
        let bobs = create(&server, &bob, "Bob's").await;
        for folder in [json!("nope"), json!(bobs)] {
            let refused = move_to(&server, &alice, &id, folder).await;
            refused.assert_status(404);
            assert_eq!(refused["detail"], "Folder not found");
        }
        let ideas = create(&server, &alice, "Ideas").await;
        move_to(&server, &bob, &id, json!(bobs))
            .await
            .assert_status(404);
        move_to(&server, &alice, "nope", json!(ideas))
            .await
            .assert_status(404);
        let read = server.get(&format!("/v1/conversations/{id}"), &alice).await;
        assert_eq!(read["folder_id"], filed, "nothing moved");

        let moved = move_to(&server, &alice, &id, json!(ideas)).await;
        moved.assert_status(200);
        assert_eq!(moved.json, json!({"status": "ok"}));
        assert_eq!(count(&server, &alice, &ideas).await, 1);
        move_to(&server, &alice, &id, Value::Null)
            .await
            .assert_status(200);
        let read = server.get(&format!("/v1/conversations/{id}"), &alice).await;
        assert_eq!(read["folder_id"], Value::Null);
        assert_eq!(count(&server, &alice, &ideas).await, 0);
    }
);

both_stores!(
    a_bulk_move_skips_what_is_not_the_callers,
    |server| async move {
        let alice = server.token("alice").await;
        let bob = server.token("bob").await;
        let one = processed(
            &server,
            &alice,
            "We decided to move the dentist appointment to Monday.",
        )
        .await;
        let two = processed(
            &server,
            &alice,
            "We decided to repaint the kitchen in blue.",
        )
        .await;
        let theirs = processed(
            &server,
            &bob,
            "We decided to watch the football match together.",
        )
        .await;
        let ideas = create(&server, &alice, "Ideas").await;
        let path = format!("/v1/folders/{ideas}/conversations/bulk-move");
        let moved = server
            .post(
                &path,
                &alice,
                json!({"conversation_ids": [one["id"], two["id"], theirs["id"], "nope", one["id"]]}),
            )
            .await;
        moved.assert_status(200);
        assert_eq!(moved.json, json!({"status": "ok", "moved_count": 2}));
        assert_eq!(count(&server, &alice, &ideas).await, 2);
        let bobs = server
            .get(
                &format!("/v1/conversations/{}", theirs["id"].as_str().unwrap()),
                &bob,
            )
            .await;
        assert_eq!(bobs["folder_id"], theirs["folder_id"], "bob's is untouched");

        let listed = server
            .get(&format!("/v1/folders/{ideas}/conversations"), &alice)
            .await;
        listed.assert_status(200);
        let listed_ids: Vec<&Value> = listed
            .json
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["id"])
            .collect();
        assert_eq!(listed_ids.len(), 2);
        assert!(listed_ids.contains(&&one["id"]) && listed_ids.contains(&&two["id"]));

        let bobs_folder = create(&server, &bob, "Bob's").await;
        server
            .post(
                &format!("/v1/folders/{bobs_folder}/conversations/bulk-move"),
                &alice,
                json!({"conversation_ids": [one["id"]]}),
            )
            .await
            .assert_status(404);
        server
            .get(&format!("/v1/folders/{bobs_folder}/conversations"), &alice)
            .await
            .assert_status(404);
        let too_many: Vec<String> = (0..1001).map(|n| format!("c{n}")).collect();
        server
            .post(&path, &alice, json!({ "conversation_ids": too_many }))
            .await
            .assert_status(422);
        server
            .post(&path, &alice, json!({"conversation_ids": ["a\u{0}"]}))
            .await
            .assert_status(422);
        assert_eq!(count(&server, &alice, &ideas).await, 2);
    }
);

both_stores!(
    counts_follow_discards_deletions_moves_and_merges,
    |server| async move {
        let token = server.token("alice").await;
        let ideas = create(&server, &token, "Ideas").await;
        let mut ids = Vec::new();
        for text in [
            "We decided the novel needs a first chapter.",
            "We decided the novel needs a second chapter.",
            "We decided the novel needs a third chapter.",
            "We decided the novel needs a fourth chapter.",
        ] {
            let conversation = processed(&server, &token, text).await;
            let id = conversation["id"].as_str().unwrap().to_string();
            move_to(&server, &token, &id, json!(ideas))
                .await
                .assert_status(200);
            ids.push(id);
        }
        assert_eq!(count(&server, &token, &ideas).await, 4);
        let listed = |query: &'static str| {
            let server = &server;
            let token = &token;
            let ideas = &ideas;
            async move {
                let list = server
                    .get(&format!("/v1/folders/{ideas}/conversations{query}"), token)
                    .await;
                list.assert_status(200);
                list.json.as_array().unwrap().len()
            }
        };

        let key = server
            .post(
                "/v1/dev/keys",
                &token,
                json!({"name": "script", "scopes": ["conversations:write"]}),
            )
            .await;
        let key = key["key"].as_str().unwrap().to_string();
        let discard = |value: bool| {
            let server = &server;
            let key = &key;
            let id = ids[0].clone();
            async move {
                server
                    .patch(
                        &format!("/v1/dev/user/conversations/{id}"),
                        key,
                        json!({ "discarded": value }),
                    )
                    .await
                    .assert_status(200);
            }
        };
        discard(true).await;
        assert_eq!(count(&server, &token, &ideas).await, 3);
        assert_eq!(listed("").await, 3);
        assert_eq!(listed("?include_discarded=true").await, 4);
        assert_eq!(listed("?limit=1").await, 1);
        assert_eq!(listed("?offset=2").await, 1);
        discard(false).await;
        assert_eq!(count(&server, &token, &ideas).await, 4);

        server
            .delete(&format!("/v1/conversations/{}", ids[1]), &token)
            .await
            .assert_status(204);
        assert_eq!(count(&server, &token, &ideas).await, 3);
        move_to(&server, &token, &ids[0], Value::Null)
            .await
            .assert_status(200);
        assert_eq!(count(&server, &token, &ideas).await, 2);

        let merged = server
            .post(
                "/v1/conversations/merge",
                &token,
                json!({"conversation_ids": [ids[2].clone(), ids[3].clone()]}),
            )
            .await;
        merged.assert_status(200);
        assert_eq!(
            count(&server, &token, &ideas).await,
            0,
            "merged conversations are gone"
        );
        let list = folders(&server, &token).await;
        assert_eq!(named(&list, "Ideas")["conversation_count"], 0);
    }
);
