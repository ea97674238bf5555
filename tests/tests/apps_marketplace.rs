//! The marketplace over the app's routes (spec §7.1, §5.6): the catalog (v1 and v2, grouped, search with its
//! sorts, the fixed lists), enabling and disabling with install counts and the setup check against a local
//! endpoint, reviews and replies, and `sk_` keys.

use crate::apps_support;

use apps_support::*;
use omi_tests::*;

both_stores!(with_store the_catalog_lists_public_approved_apps_with_installs, |store| async move {
    let server = start(store).await;
    let alice = server.token("alice").await;
    let bob = server.token("bob").await;
    let carol = server.token("carol").await;
    let notes = create_app(&server, &alice, &memories_app("Notes", "productivity-and-organization")).await;
    let buddy = create_app(&server, &alice, &chat_app("Buddy")).await;
    let hidden = create_app(&server, &alice, &chat_app("Hidden")).await;
    let waiting = create_app(&server, &carol, &chat_app("Waiting")).await;
    for id in [&notes, &buddy, &hidden] {
        approve(&server, id).await;
    }
    server
        .request(Method::PATCH, &format!("/v1/apps/{hidden}/change-visibility?private=true"), &alice, None)
        .await
        .assert_status(200);

    let public = ids(&server.get("/v1/approved-apps", "").await.json);
    assert_eq!(public.len(), 2, "{public:?}");
    assert!(public.contains(&notes) && public.contains(&buddy));
    let for_bob = ids(&server.get("/v1/apps", &bob).await.json);
    assert!(!for_bob.contains(&hidden) && !for_bob.contains(&waiting), "{for_bob:?}");
    let listed = server.get("/v1/apps", &bob).await;
    assert!(listed.json[0].get("memory_prompt").is_none() && listed.json[0].get("email").is_none(), "list form");

    // Installs: another user's enable counts, the owner's does not, a disable takes it back.
    for (token, app) in [(&bob, &notes), (&carol, &notes), (&alice, &notes), (&bob, &buddy)] {
        server.post(&format!("/v1/apps/enable?app_id={app}"), token, json!({})).await.assert_status(200);
    }
    server.post(&format!("/v1/apps/enable?app_id={notes}"), &bob, json!({})).await.assert_status(200);
    assert_eq!(server.get(&format!("/v1/apps/{notes}"), &bob).await["installs"], 2);
    assert_eq!(server.get(&format!("/v1/apps/{notes}"), &bob).await["enabled"], true);
    let enabled: Vec<String> = serde_json::from_value(server.get("/v1/apps/enabled", &bob).await.json).unwrap();
    assert_eq!(enabled, vec![notes.clone(), buddy.clone()]);
    server.post(&format!("/v1/apps/disable?app_id={notes}"), &carol, json!({})).await.assert_status(200);
    server.post(&format!("/v1/apps/disable?app_id={notes}"), &carol, json!({})).await.assert_status(404);
    assert_eq!(server.get(&format!("/v1/apps/{notes}"), &bob).await["installs"], 1);
    server.post(&format!("/v1/apps/enable?app_id={hidden}"), &bob, json!({})).await.assert_status(403);
    server.post(&format!("/v1/apps/enable?app_id={waiting}"), &bob, json!({})).await.assert_status(404);
    server.post("/v1/apps/enable?app_id=01KBXR3M7Q8Z6Y5T4S3R2P1N0M", &bob, json!({})).await.assert_status(404);

    // v2: grouped by capability, or filtered.
    let grouped = server.get("/v2/apps", "").await;
    grouped.assert_status(200);
    let groups = grouped["groups"].as_array().unwrap();
    let capabilities: Vec<&str> = groups.iter().map(|g| g["capability"]["id"].as_str().unwrap()).collect();
    assert_eq!(capabilities, vec!["chat", "memories"]);
    assert_eq!(grouped["meta"]["groupCount"], 2);
    let chat = server.get("/v2/apps?capability=chat&limit=1", "").await;
    assert_eq!(ids(&chat["data"]), vec![buddy.clone()]);
    assert_eq!(chat["pagination"]["total"], 1);
    assert_eq!(chat["pagination"]["hasNext"], false);
    assert_eq!(chat["capability"]["id"], "chat");
    let category = server.get("/v2/apps?category=productivity-and-organization", "").await;
    assert_eq!(ids(&category["data"]), vec![notes.clone()]);
    server.get("/v2/apps?capability=gossip", "").await.assert_status(422);
    server.get("/v2/apps?limit=0", "").await.assert_status(422);
    server.get("/v2/apps?limit=101", "").await.assert_status(422);
    let by_category = server.get("/v2/apps/capability/memories/grouped", "").await;
    assert_eq!(by_category["meta"]["totalApps"], 1);
    assert_eq!(by_category["groups"][0]["category"]["id"], "productivity-and-organization");
    server.get("/v2/apps/capability/gossip/grouped", "").await.assert_status(422);

    // Search.
    let found = server.get("/v2/apps/search?q=NOT", &bob).await;
    assert_eq!(ids(&found["data"]), vec![notes.clone()]);
    let by_name = server.get("/v2/apps/search?sort=name_desc", &bob).await;
    assert_eq!(ids(&by_name["data"]), vec![notes.clone(), buddy.clone()]);
    let mine = server.get("/v2/apps/search?my_apps=true", &alice).await;
    assert_eq!(mine["pagination"]["total"], 3, "the owner's apps, private ones too");
    let installed = server.get("/v2/apps/search?installed_apps=true", &bob).await;
    assert_eq!(installed["pagination"]["total"], 2);
    server.get("/v2/apps/search?rating=6", &bob).await.assert_status(422);
    server.get("/v2/apps/search?sort=sideways", &bob).await.assert_status(422);
    server.get("/v2/apps/search", "").await.assert_status(401);

    // The fixed lists.
    assert_eq!(server.get("/v1/app-categories", "").await.json.as_array().unwrap().len(), 16);
    let capabilities = server.get("/v1/app-capabilities", "").await;
    let integration = capabilities.json.as_array().unwrap().iter().find(|c| c["id"] == "external_integration").unwrap();
    assert_eq!(integration["actions"].as_array().unwrap().len(), 5);
    assert_eq!(server.get("/v1/app/proactive-notification-scopes", "").await.json.as_array().unwrap().len(), 4);
    assert_eq!(server.get("/v1/app/payment-plans", "").await[0]["id"], "monthly_recurring");
    server.get("/v1/app/plans", &bob).await.assert_status(200);
});

both_stores!(with_store enabling_an_app_with_a_setup_url_asks_it, |store| async move {
    let server = start(store).await;
    let alice = server.token("alice").await;
    let bob = server.token("bob").await;
    let carol = server.token("carol").await;
    let setup_url = setup_endpoint("bob").await;
    let app = json!({
        "name": "Sync", "description": "Syncs", "category": "utilities-and-tools",
        "capabilities": ["external_integration"],
        "external_integration": {
            "triggers_on": "memory_creation", "webhook_url": "https://example.com/hook",
            "setup_completed_url": setup_url, "actions": [{"action": "read_memories"}]
        }
    });
    let app_id = create_app(&server, &alice, &app).await;
    approve(&server, &app_id).await;
    let read = server.get(&format!("/v1/apps/{app_id}"), &alice).await;
    assert_eq!(read["external_integration"]["triggers_on"], "memory_creation");
    assert_eq!(read["external_integration"]["actions"][0]["action"], "read_memories");
    server.post(&format!("/v1/apps/enable?app_id={app_id}"), &bob, json!({})).await.assert_status(200);
    let refused = server.post(&format!("/v1/apps/enable?app_id={app_id}"), &carol, json!({})).await;
    refused.assert_status(400);
    assert_eq!(refused["detail"], "App setup is not completed");
    assert_eq!(server.get(&format!("/v1/apps/{app_id}"), &carol).await["enabled"], false);

    // Without OMI_WEBHOOK_ALLOW_PRIVATE the server does not call this machine at all.
    let guarded = TestServer::start(store).await;
    let dave = guarded.token("dave").await;
    let own = create_app(&guarded, &dave, &app).await;
    let blocked = guarded.post(&format!("/v1/apps/enable?app_id={own}"), &dave, json!({})).await;
    blocked.assert_status(400);
});

both_stores!(with_store reviews_and_replies, |store| async move {
    let server = start(store).await;
    let alice = server.token("alice").await;
    let bob = server.token("bob").await;
    let carol = server.token("carol").await;
    let app_id = create_app(&server, &alice, &chat_app("Buddy")).await;
    let review = format!("/v1/apps/review?app_id={app_id}");
    server.post(&review, &bob, json!({"score": 4})).await.assert_status(404);
    server.get(&format!("/v1/apps/{app_id}/reviews"), "").await.assert_status(404);
    approve(&server, &app_id).await;
    server.post(&review, &alice, json!({"score": 5, "review": "mine"})).await.assert_status(403);
    server.post(&review, &bob, json!({"score": 4, "review": "Fun", "username": "bobby"})).await.assert_status(200);
    server.post(&review, &carol, json!({"score": 9, "review": ""})).await.assert_status(200);
    let read = server.get(&format!("/v1/apps/{app_id}"), &bob).await;
    assert_eq!(read["rating_count"], 2);
    assert_eq!(read["rating_avg"], 4.5, "9 is clamped to 5");
    assert_eq!(read["user_review"]["review"], "Fun");
    let reviews = server.get(&format!("/v1/apps/{app_id}/reviews"), "").await;
    assert_eq!(reviews.json.as_array().unwrap().len(), 1, "only reviews with text");

    let edit = format!("/v1/apps/{app_id}/review");
    server.patch(&edit, &bob, json!({"score": 2, "review": "Meh"})).await.assert_status(200);
    server.patch(&edit, &alice, json!({"score": 2, "review": "x"})).await.assert_status(404);
    assert_eq!(server.get(&format!("/v1/apps/{app_id}"), &bob).await["rating_avg"], 3.5);

    let reply = format!("/v1/apps/{app_id}/review/reply");
    server.patch(&reply, &carol, json!({"reviewer_uid": "bob", "response": "hi"})).await.assert_status(403);
    server.patch(&reply, &alice, json!({"reviewer_uid": "bob", "response": "  "})).await.assert_status(422);
    server.patch(&reply, &alice, json!({"reviewer_uid": "dave", "response": "hi"})).await.assert_status(404);
    server.patch(&reply, &alice, json!({"reviewer_uid": "bob", "response": "Thanks!"})).await.assert_status(200);
    let answered = server.get(&format!("/v1/apps/{app_id}/reviews"), "").await;
    assert_eq!(answered[0]["response"], "Thanks!");
    assert_eq!(answered[0]["review"], "Meh");
    server.post(&review, &bob, json!({"score": "high"})).await.assert_status(422);
    server.post(&review, &bob, json!({"score": 3, "review": "a\u{0}b"})).await.assert_status(422);
    server.post(&review, &bob, json!({"score": 3, "review": "x".repeat(5001)})).await.assert_status(422);
});

both_stores!(with_store app_keys_are_shown_once_and_revoked, |store| async move {
    let server = start(store).await;
    let alice = server.token("alice").await;
    let bob = server.token("bob").await;
    let app_id = create_app(&server, &alice, &chat_app("Buddy")).await;
    let keys = format!("/v1/apps/{app_id}/keys");
    let created = server.post(&format!("{keys}?label=Importer"), &alice, json!({})).await;
    created.assert_status(200);
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("sk_") && secret.len() == 67, "{secret}");
    assert_eq!(created["label"], "Importer");
    let key_id = created["id"].as_str().unwrap().to_string();
    let listed = server.get(&keys, &alice).await;
    listed.assert_status(200);
    assert_eq!(listed[0]["id"], key_id.as_str());
    assert!(!listed.text.contains(&secret[3..]), "the secret is shown once");
    server.get(&keys, &bob).await.assert_status(403);
    server.post(&keys, &bob, json!({})).await.assert_status(403);
    server.delete(&format!("{keys}/{key_id}"), &bob).await.assert_status(403);
    server.delete(&format!("{keys}/{key_id}"), &alice).await.assert_status(200);
    server.delete(&format!("{keys}/{key_id}"), &alice).await.assert_status(404);
    assert_eq!(server.get(&keys, &alice).await.json, json!([]));
    server.post(&format!("{keys}?label={}", "x".repeat(101)), &alice, json!({})).await.assert_status(422);
});

both_stores!(with_store erasing_an_owner_removes_their_apps_and_their_part_of_others, |store| async move {
    let server = start(store).await;
    let alice = server.token("alice").await;
    let bob = server.token("bob").await;
    let alices = create_app(&server, &alice, &chat_app("Buddy")).await;
    let bobs = create_app(&server, &bob, &chat_app("Pal")).await;
    approve(&server, &alices).await;
    approve(&server, &bobs).await;
    server.post(&format!("/v1/apps/enable?app_id={bobs}"), &alice, json!({})).await.assert_status(200);
    server.post(&format!("/v1/apps/review?app_id={bobs}"), &alice, json!({"score": 1, "review": "bad"})).await.assert_status(200);
    assert_eq!(server.get(&format!("/v1/apps/{bobs}"), &bob).await["installs"], 1);
    server
        .request(Method::DELETE, "/v1/users/delete-account", &alice, Some(json!({"reason": "leaving"})))
        .await
        .assert_success();
    let app_path = format!("/v1/apps/{alices}");
    eventually("alice's app is erased", || async { server.get(&app_path, &bob).await.status == 404 }).await;
    let bobs_path = format!("/v1/apps/{bobs}");
    eventually("alice's install and review are erased", || async {
        let read = server.get(&bobs_path, &bob).await;
        read["installs"] == 0 && read["rating_count"] == 0
    })
    .await;
});
