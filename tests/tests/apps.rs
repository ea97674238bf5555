//! Apps over the app's routes (spec §7.1, §2.7): create with the multipart app_data + logo, read, edit, hide and
//! delete, with the 4xx of bad input and of other users' apps; the logo served back; the admin's approval.

use crate::apps_support;

use apps_support::*;
use omi_tests::*;

both_stores!(with_store an_app_is_created_read_edited_hidden_and_deleted, |store| async move {
    let server = start(store).await;
    let alice = server.token("alice").await;
    let bob = server.token("bob").await;
    let app_id = create_app(&server, &alice, &memories_app("Meeting Notes", "productivity-and-organization")).await;
    assert_eq!(app_id.len(), 26, "a ULID: {app_id}");
    let path = format!("/v1/apps/{app_id}");

    let own = server.get(&path, &alice).await;
    own.assert_status(200);
    assert_eq!(own["status"], "under-review");
    assert_eq!(own["approved"], false);
    assert_eq!(own["uid"], "alice");
    assert_eq!(own["author"], "alice", "the uid when the profile has no name");
    assert_eq!(own["memory_prompt"], "Summarize the conversation in three bullet points.");
    assert_eq!(own["installs"], 0);
    assert_eq!(own["rating_avg"], Value::Null);
    let image = own["image"].as_str().unwrap().to_string();
    assert!(image.starts_with("/v1/app-logos/"), "{image}");
    let logo = server.client().builder(Method::GET, &image, "").send().await.unwrap();
    assert_eq!(logo.status(), 200);
    assert_eq!(logo.headers()["content-type"], "image/png");
    assert_eq!(logo.bytes().await.unwrap().as_ref(), PNG);

    server.get(&path, &bob).await.assert_status(404);
    approve(&server, &app_id).await;
    let seen = server.get(&path, &bob).await;
    seen.assert_status(200);
    assert_eq!(seen["status"], "approved");
    assert_eq!(seen["enabled"], false);

    let renamed = send_form(&server, Method::PATCH, &path, &alice, r#"{"name": "Minutes"}"#, None).await;
    renamed.assert_status(200);
    let read = server.get(&path, &alice).await;
    assert_eq!(read["name"], "Minutes");
    assert_eq!(read["description"], "Meeting Notes summarizes every conversation", "kept");
    assert_eq!(read["image"], image.as_str(), "no new file keeps the logo");

    let stolen = send_form(&server, Method::PATCH, &path, &bob, r#"{"name": "Mine"}"#, None).await;
    stolen.assert_status(403);
    server.delete(&path, &bob).await.assert_status(403);
    server
        .request(Method::PATCH, &format!("{path}/change-visibility?private=true"), &bob, None)
        .await
        .assert_status(403);
    assert_eq!(server.get(&path, &alice).await["name"], "Minutes", "the refusals changed nothing");

    server
        .request(Method::PATCH, &format!("{path}/change-visibility?private=true"), &alice, None)
        .await
        .assert_status(200);
    server.get(&path, &bob).await.assert_status(403);
    assert!(!ids(&server.get("/v1/apps", &bob).await.json).contains(&app_id), "private apps are not listed to others");
    assert!(ids(&server.get("/v1/apps", &alice).await.json).contains(&app_id), "but to their owner");

    server.delete(&path, &alice).await.assert_status(200);
    server.get(&path, &alice).await.assert_status(404);
    server.delete(&path, &alice).await.assert_status(404);
    let gone = send(Method::GET, &server.url(&image), server.client().builder(Method::GET, &image, "")).await;
    gone.assert_status(404);
    server.get("/v1/apps/not an id", &alice).await.assert_status(404);
});

both_stores!(with_store bad_app_data_and_bad_logos_are_refused_and_record_nothing, |store| async move {
    let server = start(store).await;
    let alice = server.token("alice").await;
    let paid = json!({"name": "Pro", "description": "d", "category": "other", "capabilities": ["chat"], "is_paid": true});
    let no_trigger = json!({"name": "Hook", "description": "d", "category": "other",
        "capabilities": ["external_integration"], "external_integration": {}});
    let bad_webhook = json!({"name": "Hook", "description": "d", "category": "other",
        "capabilities": ["external_integration"],
        "external_integration": {"triggers_on": "memory_creation", "webhook_url": "javascript:alert(1)"}});
    let bad_action = json!({"name": "Hook", "description": "d", "category": "other",
        "capabilities": ["external_integration"], "external_integration": {"actions": [{"action": "drop_tables"}]}});
    let bad_category = json!({"name": "X", "description": "d", "category": "gossip", "capabilities": ["chat"]});
    let no_capability = json!({"name": "X", "description": "d", "category": "other", "capabilities": []});
    let huge = json!({"name": "x".repeat(101), "description": "d", "category": "other", "capabilities": ["chat"]});
    let nul = json!({"name": "a\u{0}b", "description": "d", "category": "other", "capabilities": ["chat"]});
    for (app_data, problem) in [
        (paid.to_string(), "price"),
        (no_trigger.to_string(), "triggers_on"),
        (bad_webhook.to_string(), "webhook_url"),
        (bad_action.to_string(), "drop_tables"),
        (bad_category.to_string(), "gossip"),
        (no_capability.to_string(), "capability"),
        (huge.to_string(), "name"),
        (nul.to_string(), "NUL"),
        ("not json".to_string(), "JSON"),
        ("[1, 2]".to_string(), "object"),
    ] {
        let refused = send_form(&server, Method::POST, "/v1/apps", &alice, &app_data, None).await;
        refused.assert_status(422);
        assert!(refused.text.contains(problem), "{app_data}: {}", refused.text);
    }
    let good = chat_app("Buddy").to_string();
    for (file, status) in [
        (("text/html", b"<svg onload=alert(1)>".as_slice()), 422),
        (("image/png", &[0x89u8, 0x50, 0x4e][..]), 422),
    ] {
        let refused = send_form(&server, Method::POST, "/v1/apps", &alice, &good, Some(file)).await;
        refused.assert_status(status);
    }
    let mut big = PNG.to_vec();
    big.resize(1024 * 1024 + 10, 0);
    let too_big = send_form(&server, Method::POST, "/v1/apps", &alice, &good, Some(("image/png", &big))).await;
    too_big.assert_status(413);
    let json_body = server.post("/v1/apps", &alice, chat_app("Buddy")).await;
    json_body.assert_status(422);
    let unauthenticated = send_form(&server, Method::POST, "/v1/apps", "", &good, None).await;
    unauthenticated.assert_status(401);
    assert_eq!(server.get("/v1/apps", &alice).await.json, json!([]), "nothing was created");
    assert_eq!(server.get("/v2/apps/search?my_apps=true", &alice).await["pagination"]["total"], 0);

    let app_id = create_app(&server, &alice, &chat_app("Buddy")).await;
    let path = format!("/v1/apps/{app_id}");
    let broken = send_form(&server, Method::PATCH, &path, &alice, r#"{"category": "gossip"}"#, None).await;
    broken.assert_status(422);
    let bad_logo = send_form(&server, Method::PATCH, &path, &alice, "{}", Some(("image/gif", b"GIF00"))).await;
    bad_logo.assert_status(422);
    assert_eq!(server.get(&path, &alice).await["category"], "entertainment-and-fun");
    let unknown = send_form(&server, Method::PATCH, "/v1/apps/01KBXR3M7Q8Z6Y5T4S3R2P1N0M", &alice, "{}", None).await;
    unknown.assert_status(404);
});

both_stores!(with_store admin_routes_need_the_admin_key, |store| async move {
    let server = start(store).await;
    let alice = server.token("alice").await;
    let app_id = create_app(&server, &alice, &chat_app("Buddy")).await;
    let approve_path = format!("/v1/apps/{app_id}/approve");
    admin(&server, Method::POST, &approve_path, None).await.assert_status(403);
    admin(&server, Method::POST, &approve_path, Some("wrong")).await.assert_status(403);
    let with_user_token = server.post(&approve_path, &alice, json!({})).await;
    with_user_token.assert_status(403);
    let waiting = admin(&server, Method::GET, "/v1/apps/public/unapproved", Some(ADMIN_KEY)).await;
    waiting.assert_status(200);
    assert_eq!(ids(&waiting.json), vec![app_id.clone()]);
    admin(&server, Method::GET, "/v1/apps/public/unapproved", None).await.assert_status(403);

    approve(&server, &app_id).await;
    assert!(ids(&server.get("/v1/approved-apps", "").await.json).contains(&app_id));
    let popular_path = format!("/v1/apps/{app_id}/popular?value=true");
    admin(&server, Method::PATCH, &popular_path, None).await.assert_status(403);
    admin(&server, Method::PATCH, &popular_path, Some(ADMIN_KEY)).await.assert_status(200);
    assert_eq!(ids(&server.get("/v1/apps/popular", &alice).await.json), vec![app_id.clone()]);
    admin(&server, Method::POST, &format!("/v1/apps/{app_id}/reject"), Some(ADMIN_KEY))
        .await
        .assert_status(200);
    assert_eq!(server.get(&format!("/v1/apps/{app_id}"), &alice).await["status"], "rejected");
    assert!(!ids(&server.get("/v1/approved-apps", "").await.json).contains(&app_id));
    admin(&server, Method::POST, "/v1/apps/01KBXR3M7Q8Z6Y5T4S3R2P1N0M/approve", Some(ADMIN_KEY))
        .await
        .assert_status(404);

    // A server without ADMIN_KEY refuses every admin request.
    let plain = TestServer::start(store).await;
    admin(&plain, Method::GET, "/v1/apps/public/unapproved", Some("")).await.assert_status(403);
    admin(&plain, Method::GET, "/v1/apps/public/unapproved", Some(ADMIN_KEY)).await.assert_status(403);
});
