//! The Users API through the Rust client, on both backends.

use serde_json::json;
use tessera_client::ClientError;
use tessera_client::proto::common::Name;
use tessera_client::proto::users::*;

use crate::harness::{TestApp, both_backends};

both_backends!(
    create_get_update_delete,
    get_by_external_id,
    duplicates_are_refused_and_leave_nothing_behind,
    invalid_input_gets_specific_errors,
    search_filters,
    search_paginates_to_a_null_cursor,
    search_rejects_bad_queries,
    delete_email_and_phone_number,
    exchange_primary_factor,
    delete_external_id,
    projects_are_isolated,
    concurrent_creates_of_one_email_yield_one_user,
    concurrent_metadata_merges_lose_nothing,
);

fn api_error(r: Result<impl std::fmt::Debug, ClientError>) -> (u16, String) {
    match r {
        Err(ClientError::Api(e)) => (e.status_code, e.error_type),
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn email(e: &str) -> CreateUserRequest {
    CreateUserRequest {
        email: Some(e.into()),
        ..Default::default()
    }
}

async fn create_get_update_delete(app: &TestApp) {
    let users = app.client.users();
    let created = users
        .create(&CreateUserRequest {
            email: Some("Ada@Example.com".into()),
            phone_number: Some("+14155550123".into()),
            name: Some(Name {
                first_name: Some("Ada".into()),
                middle_name: None,
                last_name: Some("Byron".into()),
            }),
            trusted_metadata: Some(json!({"plan": "pro", "seats": 3})),
            untrusted_metadata: Some(json!({"theme": "dark"})),
            external_id: Some("crm-42".into()),
            roles: Some(vec!["admin".into()]),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(created.status_code, 200);
    assert!(created.request_id.starts_with("request-id-test-"));
    assert!(created.user_id.starts_with("user-test-"));
    assert!(created.email_id.starts_with("email-test-"));
    assert!(created.phone_id.starts_with("phone-number-test-"));
    assert_eq!(created.status, "active");
    let u = &created.user;
    assert_eq!(u.emails[0].email, "ada@example.com");
    assert!(!u.emails[0].verified);
    assert_eq!(u.phone_numbers[0].phone_number, "+14155550123");
    assert_eq!(u.roles, vec!["stytch_user", "admin"]);
    assert_eq!(u.name.middle_name.as_deref(), Some(""));
    assert_eq!(u.external_id.as_deref(), Some("crm-42"));
    assert!(!u.is_locked);

    let got = users.get(&created.user_id).await.unwrap();
    assert_eq!(got.user, created.user);

    let updated = users
        .update(
            &created.user_id,
            &UpdateUserRequest {
                name: Some(Name {
                    last_name: Some("Lovelace".into()),
                    ..Default::default()
                }),
                trusted_metadata: Some(json!({"plan": null, "seats": 5, "tier": {"a": 1}})),
                roles: Some(vec![]),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.user.name.first_name.as_deref(), Some("Ada"));
    assert_eq!(updated.user.name.last_name.as_deref(), Some("Lovelace"));
    assert_eq!(
        serde_json::Value::Object(updated.user.trusted_metadata.clone()),
        json!({"seats": 5, "tier": {"a": 1}})
    );
    assert_eq!(
        serde_json::Value::Object(updated.user.untrusted_metadata.clone()),
        json!({"theme": "dark"})
    );
    assert_eq!(updated.user.roles, vec!["stytch_user"]);
    assert_eq!(updated.emails, updated.user.emails);
    // What update answered is what is stored.
    assert_eq!(
        users.get(&created.user_id).await.unwrap().user,
        updated.user
    );

    let deleted = users.delete(&created.user_id).await.unwrap();
    assert_eq!(deleted.user_id, created.user_id);
    assert_eq!(
        api_error(users.get(&created.user_id).await),
        (404, "user_not_found".into())
    );
    assert_eq!(
        api_error(users.delete(&created.user_id).await),
        (404, "user_not_found".into())
    );
    // The email is free again once its user is gone.
    users.create(&email("ada@example.com")).await.unwrap();
}

async fn get_by_external_id(app: &TestApp) {
    let users = app.client.users();
    let created = users
        .create(&CreateUserRequest {
            external_id: Some("auth0|abc".into()),
            ..email("ext@example.com")
        })
        .await
        .unwrap();
    let got = users.get("auth0|abc").await.unwrap();
    assert_eq!(got.user.user_id, created.user_id);
    let updated = users
        .update(
            "auth0|abc",
            &UpdateUserRequest {
                untrusted_metadata: Some(json!({"k": "v"})),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.user_id, created.user_id);
    users.delete("auth0|abc").await.unwrap();
    assert_eq!(
        api_error(users.get(&created.user_id).await).1,
        "user_not_found"
    );
}

async fn duplicates_are_refused_and_leave_nothing_behind(app: &TestApp) {
    let users = app.client.users();
    users
        .create(&CreateUserRequest {
            phone_number: Some("+10000000000".into()),
            external_id: Some("x-1".into()),
            ..email("dup@example.com")
        })
        .await
        .unwrap();
    assert_eq!(
        api_error(users.create(&email("DUP@example.com")).await),
        (400, "duplicate_email".into())
    );
    assert_eq!(
        api_error(
            users
                .create(&CreateUserRequest {
                    phone_number: Some("+10000000000".into()),
                    ..email("other@example.com")
                })
                .await
        ),
        (400, "duplicate_phone_number".into())
    );
    assert_eq!(
        api_error(
            users
                .create(&CreateUserRequest {
                    external_id: Some("x-1".into()),
                    ..email("third@example.com")
                })
                .await
        ),
        (400, "duplicate_user_external_id".into())
    );
    // The failed creates were rolled back whole: their emails are still free.
    let all = users.search(&SearchUsersRequest::default()).await.unwrap();
    assert_eq!(all.results_metadata.total, 1);
    users.create(&email("other@example.com")).await.unwrap();
    users.create(&email("third@example.com")).await.unwrap();
    // Setting a taken external id by update is refused too.
    let u = users.create(&email("fourth@example.com")).await.unwrap();
    let r = users
        .update(
            &u.user_id,
            &UpdateUserRequest {
                external_id: Some("x-1".into()),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(api_error(r), (400, "duplicate_user_external_id".into()));
}

async fn invalid_input_gets_specific_errors(app: &TestApp) {
    let users = app.client.users();
    let cases: Vec<(CreateUserRequest, &str)> = vec![
        (CreateUserRequest::default(), "invalid_create_user_request"),
        (email("not-an-email"), "invalid_email"),
        (
            CreateUserRequest {
                phone_number: Some("555-0123".into()),
                ..Default::default()
            },
            "invalid_phone_number",
        ),
        (
            CreateUserRequest {
                external_id: Some("has space".into()),
                ..email("a@example.com")
            },
            "invalid_external_id",
        ),
        (
            CreateUserRequest {
                trusted_metadata: Some(json!([1, 2])),
                ..email("a@example.com")
            },
            "metadata_invalid_format",
        ),
        (
            CreateUserRequest {
                untrusted_metadata: Some(serde_json::Value::Object(
                    (0..21).map(|i| (format!("k{i}"), json!(i))).collect(),
                )),
                ..email("a@example.com")
            },
            "metadata_too_many_keys",
        ),
        (
            CreateUserRequest {
                trusted_metadata: Some(json!({"blob": "x".repeat(5000)})),
                ..email("a@example.com")
            },
            "metadata_too_large",
        ),
        (
            CreateUserRequest {
                roles: Some(vec!["".into()]),
                ..email("a@example.com")
            },
            "invalid_role",
        ),
    ];
    for (req, expected) in cases {
        assert_eq!(
            api_error(users.create(&req).await),
            (400, expected.to_string())
        );
    }
    // None of them created anything.
    let all = users.search(&SearchUsersRequest::default()).await.unwrap();
    assert_eq!(all.results_metadata.total, 0);
    // A metadata merge that would exceed the limits is refused and changes nothing.
    let u = users
        .create(&CreateUserRequest {
            trusted_metadata: Some(json!({"keep": 1})),
            ..email("a@example.com")
        })
        .await
        .unwrap();
    let r = users
        .update(
            &u.user_id,
            &UpdateUserRequest {
                trusted_metadata: Some(json!({"blob": "x".repeat(5000)})),
                ..Default::default()
            },
        )
        .await;
    assert_eq!(api_error(r).1, "metadata_too_large");
    let got = users.get(&u.user_id).await.unwrap();
    assert_eq!(
        serde_json::Value::Object(got.user.trusted_metadata),
        json!({"keep": 1})
    );
}

fn query(operator: &str, operands: Vec<(&str, serde_json::Value)>) -> SearchUsersRequest {
    SearchUsersRequest {
        query: Some(SearchQuery {
            operator: operator.into(),
            operands: operands
                .into_iter()
                .map(|(n, v)| SearchOperand {
                    filter_name: n.into(),
                    filter_value: v,
                })
                .collect(),
        }),
        ..Default::default()
    }
}

async fn search_ids(app: &TestApp, req: SearchUsersRequest) -> Vec<String> {
    let mut ids: Vec<String> = app
        .client
        .users()
        .search_all(&req)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.user_id)
        .collect();
    ids.sort();
    ids
}

async fn search_filters(app: &TestApp) {
    let users = app.client.users();
    let ada = users
        .create(&CreateUserRequest {
            name: Some(Name {
                first_name: Some("Ada".into()),
                last_name: Some("Lovelace".into()),
                ..Default::default()
            }),
            ..email("ada@analytical.org")
        })
        .await
        .unwrap()
        .user_id;
    let grace = users
        .create(&CreateUserRequest {
            phone_number: Some("+14155550100".into()),
            create_user_as_pending: Some(true),
            external_id: Some("g-1".into()),
            ..email("grace@navy.mil")
        })
        .await
        .unwrap()
        .user_id;
    let alan = users
        .create(&CreateUserRequest {
            phone_number: Some("+447700900123".into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .user_id;
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };

    let all = search_ids(app, SearchUsersRequest::default()).await;
    assert_eq!(all, sorted(vec![ada.clone(), grace.clone(), alan.clone()]));
    let cases = vec![
        (
            query(
                "AND",
                vec![("email_address", json!(["ADA@analytical.org"]))],
            ),
            vec![ada.clone()],
        ),
        (
            query("AND", vec![("email_address_fuzzy", json!("NAVY"))]),
            vec![grace.clone()],
        ),
        (
            query("AND", vec![("email_domain", json!(["analytical.org"]))]),
            vec![ada.clone()],
        ),
        (
            query("AND", vec![("status", json!("pending"))]),
            vec![grace.clone()],
        ),
        (
            query("AND", vec![("status", json!("active"))]),
            sorted(vec![ada.clone(), alan.clone()]),
        ),
        (
            query("AND", vec![("phone_number", json!(["+447700900123"]))]),
            vec![alan.clone()],
        ),
        (
            query("AND", vec![("phone_number_fuzzy", json!("555"))]),
            vec![grace.clone()],
        ),
        (
            query("AND", vec![("phone_verified", json!(false))]),
            sorted(vec![grace.clone(), alan.clone()]),
        ),
        (query("AND", vec![("email_verified", json!(true))]), vec![]),
        (
            query("AND", vec![("full_name_fuzzy", json!("ada love"))]),
            vec![ada.clone()],
        ),
        (
            query("AND", vec![("user_id", json!([ada, alan]))]),
            sorted(vec![ada.clone(), alan.clone()]),
        ),
        (
            query("AND", vec![("user_id", json!(["g-1"]))]),
            vec![grace.clone()],
        ),
        (
            query("AND", vec![("password_exists", json!(false))]),
            all.clone(),
        ),
        (query("AND", vec![("totp_verified", json!(true))]), vec![]),
        (
            query(
                "AND",
                vec![
                    ("status", json!("active")),
                    ("phone_number_fuzzy", json!("+44")),
                ],
            ),
            vec![alan.clone()],
        ),
        (
            query(
                "OR",
                vec![
                    ("status", json!("pending")),
                    ("phone_number_fuzzy", json!("+44")),
                ],
            ),
            sorted(vec![grace.clone(), alan.clone()]),
        ),
        (
            query(
                "AND",
                vec![("created_at_greater_than", json!("2000-01-01T00:00:00Z"))],
            ),
            all.clone(),
        ),
        (
            query(
                "AND",
                vec![("created_at_less_than", json!("2000-01-01T00:00:00Z"))],
            ),
            vec![],
        ),
        (
            query(
                "AND",
                vec![(
                    "created_at_between",
                    json!({"greater_than": "2000-01-01T00:00:00Z", "less_than": "2999-01-01T00:00:00Z"}),
                )],
            ),
            all.clone(),
        ),
        (query("AND", vec![]), all.clone()),
    ];
    for (req, expected) in cases {
        let q = format!("{:?}", req.query);
        assert_eq!(search_ids(app, req).await, expected, "{q}");
    }
}

async fn search_paginates_to_a_null_cursor(app: &TestApp) {
    let users = app.client.users();
    let mut created = Vec::new();
    for i in 0..23 {
        created.push(
            users
                .create(&email(&format!("page{i}@example.com")))
                .await
                .unwrap()
                .user_id,
        );
    }
    let mut req = SearchUsersRequest {
        limit: Some(10),
        ..Default::default()
    };
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = users.search(&req).await.unwrap();
        pages += 1;
        assert_eq!(page.results_metadata.total, 23);
        seen.extend(page.results.into_iter().map(|u| u.user_id));
        match page.results_metadata.next_cursor {
            Some(c) => req.cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 23, "no user twice, none missing");
    created.sort();
    assert_eq!(unique, created);
    // An exact multiple of the page size ends with a null cursor too, not an empty page.
    let r = users
        .search(&SearchUsersRequest {
            limit: Some(23),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(r.results.len(), 23);
    assert_eq!(r.results_metadata.next_cursor, None);
    // On the wire the last page's cursor is a JSON null (Python's search_all stops only on None).
    let raw: serde_json::Value = reqwest::Client::new()
        .post(app.url("/v1/users/search"))
        .basic_auth(&app.creds.project_id, Some(&app.creds.secret))
        .json(&json!({"limit": 1000}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(raw["results_metadata"]["next_cursor"].is_null());
    assert_eq!(raw["results_metadata"]["total"], 23);
}

async fn search_rejects_bad_queries(app: &TestApp) {
    let users = app.client.users();
    let cases = vec![
        (
            SearchUsersRequest {
                limit: Some(0),
                ..Default::default()
            },
            "user_search_invalid_limit",
        ),
        (
            SearchUsersRequest {
                limit: Some(1001),
                ..Default::default()
            },
            "user_search_invalid_limit",
        ),
        (
            SearchUsersRequest {
                cursor: Some("garbage".into()),
                ..Default::default()
            },
            "user_search_invalid_cursor",
        ),
        (query("XOR", vec![]), "user_search_invalid_operator"),
        (
            query("AND", vec![("favourite_colour", json!("blue"))]),
            "user_search_filter_name_not_recognized",
        ),
        (
            query("AND", vec![("status", serde_json::Value::Null)]),
            "user_search_missing_filter_value",
        ),
        (
            query("AND", vec![("status", json!("asleep"))]),
            "user_search_invalid_filter_value",
        ),
        (
            query("AND", vec![("email_address_fuzzy", json!("ab"))]),
            "user_search_invalid_filter_value",
        ),
        (
            query("AND", vec![("created_at_less_than", json!("yesterday"))]),
            "user_search_invalid_filter_value",
        ),
        (
            query("AND", vec![("user_id", json!(["user-test-1", "ext"]))]),
            "user_search_cannot_mix_internal_and_external_user_ids",
        ),
    ];
    for (req, expected) in cases {
        assert_eq!(
            api_error(users.search(&req).await),
            (400, expected.to_string())
        );
    }
}

async fn delete_email_and_phone_number(app: &TestApp) {
    let users = app.client.users();
    let c = users
        .create(&CreateUserRequest {
            phone_number: Some("+14155550199".into()),
            ..email("both@example.com")
        })
        .await
        .unwrap();
    let r = users.delete_email(&c.email_id).await.unwrap();
    assert_eq!(r.user_id, c.user_id);
    assert!(r.user.emails.is_empty());
    assert_eq!(r.user.phone_numbers.len(), 1);
    assert_eq!(
        api_error(users.delete_email(&c.email_id).await),
        (404, "email_not_found".into())
    );
    let r = users.delete_phone_number(&c.phone_id).await.unwrap();
    assert!(r.user.phone_numbers.is_empty());
    assert_eq!(
        api_error(users.delete_phone_number(&c.phone_id).await),
        (404, "phone_number_not_found".into())
    );
    // The user remains, and the freed email can be used again.
    users.get(&c.user_id).await.unwrap();
    users.create(&email("both@example.com")).await.unwrap();
}

async fn exchange_primary_factor(app: &TestApp) {
    let users = app.client.users();
    let c = users.create(&email("swap@example.com")).await.unwrap();
    let r = users
        .exchange_primary_factor(
            &c.user_id,
            &ExchangePrimaryFactorRequest {
                phone_number: Some("+14155550111".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(r.user.emails.is_empty());
    assert_eq!(r.user.phone_numbers[0].phone_number, "+14155550111");
    let r = users
        .exchange_primary_factor(
            &c.user_id,
            &ExchangePrimaryFactorRequest {
                email_address: Some("new@example.com".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(r.user.emails[0].email, "new@example.com");
    assert!(r.user.phone_numbers.is_empty());
    let both = ExchangePrimaryFactorRequest {
        email_address: Some("x@example.com".into()),
        phone_number: Some("+14155550112".into()),
    };
    assert_eq!(
        api_error(users.exchange_primary_factor(&c.user_id, &both).await).1,
        "invalid_exchange_primary_factor_fields"
    );
    let two = users
        .create(&CreateUserRequest {
            phone_number: Some("+14155550113".into()),
            ..email("two@example.com")
        })
        .await
        .unwrap();
    let to_email = ExchangePrimaryFactorRequest {
        email_address: Some("y@example.com".into()),
        ..Default::default()
    };
    assert_eq!(
        api_error(users.exchange_primary_factor(&two.user_id, &to_email).await).1,
        "invalid_exchange_primary_factor_user"
    );
    // Exchanging to an address another user has is a duplicate, and changes nothing.
    let taken = ExchangePrimaryFactorRequest {
        email_address: Some("two@example.com".into()),
        ..Default::default()
    };
    assert_eq!(
        api_error(users.exchange_primary_factor(&c.user_id, &taken).await).1,
        "duplicate_email"
    );
    assert_eq!(
        users.get(&c.user_id).await.unwrap().user.emails[0].email,
        "new@example.com"
    );
}

async fn delete_external_id(app: &TestApp) {
    let users = app.client.users();
    let c = users
        .create(&CreateUserRequest {
            external_id: Some("gone-soon".into()),
            ..email("ext2@example.com")
        })
        .await
        .unwrap();
    let r = users.delete_external_id("gone-soon").await.unwrap();
    assert_eq!(r.user_id, c.user_id);
    assert_eq!(r.user.external_id, None);
    assert_eq!(api_error(users.get("gone-soon").await).1, "user_not_found");
}

async fn projects_are_isolated(app: &TestApp) {
    let (_, other) = app.new_project(false).await;
    let mine = app
        .client
        .users()
        .create(&email("mine@example.com"))
        .await
        .unwrap();
    assert_eq!(
        api_error(other.users().get(&mine.user_id).await).1,
        "user_not_found"
    );
    assert_eq!(
        api_error(other.users().delete(&mine.user_id).await).1,
        "user_not_found"
    );
    assert_eq!(
        api_error(other.users().delete_email(&mine.email_id).await).1,
        "email_not_found"
    );
    // The same email may exist once per project.
    other
        .users()
        .create(&email("mine@example.com"))
        .await
        .unwrap();
    let theirs = other
        .users()
        .search(&SearchUsersRequest::default())
        .await
        .unwrap();
    assert_eq!(theirs.results_metadata.total, 1);
    assert_ne!(theirs.results[0].user_id, mine.user_id);
    // A live project mints live ids.
    let (_, live) = app.new_project(true).await;
    let u = live
        .users()
        .create(&email("live@example.com"))
        .await
        .unwrap();
    assert!(u.user_id.starts_with("user-live-"));
    assert!(u.request_id.starts_with("request-id-live-"));
}

async fn concurrent_creates_of_one_email_yield_one_user(app: &TestApp) {
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let client = app.client.clone();
            tokio::spawn(async move { client.users().create(&email("race@example.com")).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(e.error_type(), Some("duplicate_email"), "{e}"),
        }
    }
    assert_eq!(ok, 1);
    let all = app
        .client
        .users()
        .search(&SearchUsersRequest::default())
        .await
        .unwrap();
    assert_eq!(all.results_metadata.total, 1);
}

async fn concurrent_metadata_merges_lose_nothing(app: &TestApp) {
    let u = app
        .client
        .users()
        .create(&email("merge@example.com"))
        .await
        .unwrap();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let client = app.client.clone();
            let id = u.user_id.clone();
            tokio::spawn(async move {
                client
                    .users()
                    .update(
                        &id,
                        &UpdateUserRequest {
                            untrusted_metadata: Some(json!({ format!("k{i}"): i })),
                            ..Default::default()
                        },
                    )
                    .await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let got = app.client.users().get(&u.user_id).await.unwrap();
    assert_eq!(got.user.untrusted_metadata.len(), 16);
}
