//! The calendar feed: each user's events and open tasks as one iCalendar file a phone
//! subscribes to, at `GET /v1/feed/SECRET.ics`.
//!
//! The secret is the user's own, separate from any sync token and read-only: it opens
//! the feed and nothing else (the token routes hash a bearer and look it up among the
//! tokens, where no feed secret is). It is 160 random bits, compared in constant time,
//! and kept by the server so `outpost sync feed` can print the URL again; the token
//! routes `GET /v1/feed` (the secret, 404 `no_feed` when there is none), `POST /v1/feed`
//! (a new one: the old URL answers 404 from then on) and `DELETE /v1/feed` (none) manage
//! it. An unknown secret is 404, the same as a missing route, so a guess learns nothing.
//!
//! What the feed holds ([`select`]): the events the user owns or attends (an attendee
//! entry with their e-mail address or their login), each series with its moved
//! occurrences (a cancelled occurrence is an EXDATE of its series), and the open tasks
//! (activities of type task, not done, with a due date) the user owns; nothing in the
//! trash. It is written by the same writer as `export event --format ics`
//! ([`crate::protocol::ical::write_calendar`]).

use std::collections::HashSet;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::auth::{self, Principal};
use super::backend::Backend;
use super::error::ApiError;
use super::routes::principal;
use crate::model::records::Event;
use crate::model::{EntityKind, Fields, Id};
use crate::protocol::ical::{split_attendee, write_calendar};
use crate::protocol::wire::{FeedInfo, FeedRevoked};

/// The path of the feed with `secret`.
#[must_use]
pub fn path_of(secret: &str) -> String {
    format!("/v1/feed/{secret}.ics")
}

fn info(secret: String) -> FeedInfo {
    FeedInfo {
        path: path_of(&secret),
        secret,
    }
}

/// Whether the user owns event `e` or is among its attendees.
fn concerns(who: &Principal, e: &Event) -> bool {
    if e.owner.as_deref().is_some_and(|o| who.is(o)) {
        return true;
    }
    e.attendees.iter().any(|a| match split_attendee(a) {
        (_, Some(mail)) => who.email.as_deref().is_some_and(|m| m.eq_ignore_ascii_case(mail)),
        (Some(name), None) => name == who.user,
        (None, None) => false,
    })
}

/// What one user's feed holds.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selection {
    /// Events, each series with its moved occurrences.
    pub events: Vec<(Id, Event)>,
    /// Tasks (activity fields).
    pub tasks: Vec<(Id, Fields)>,
}

/// The user's part of what the server holds: their events (owned or attended; moved
/// occurrences with their series) and their open tasks with a due date.
#[must_use]
pub fn select(who: &Principal, events: Vec<(Id, Fields)>, activities: Vec<(Id, Fields)>) -> Selection {
    let events: Vec<(Id, Event)> = events
        .into_iter()
        .filter_map(|(id, f)| serde_json::from_value::<Event>(Value::Object(f)).ok().map(|e| (id, e)))
        .collect();
    let series: HashSet<Id> = events
        .iter()
        .filter(|(_, e)| e.series_id.is_none() && concerns(who, e))
        .map(|(id, _)| *id)
        .collect();
    let events = events
        .into_iter()
        .filter(|(id, e)| e.series_id.map_or(series.contains(id), |s| series.contains(&s)))
        .collect();
    let text = |f: &Fields, k: &str| f.get(k).and_then(Value::as_str).unwrap_or("").trim().to_string();
    let tasks = activities
        .into_iter()
        .filter(|(_, f)| {
            text(f, "kind") == "task"
                && f.get("done").and_then(Value::as_bool) != Some(true)
                && !text(f, "due").is_empty()
                && who.is(&text(f, "owner"))
        })
        .collect();
    Selection { events, tasks }
}

/// `GET /v1/feed`: the token's user's feed, 404 `no_feed` without one.
pub async fn show<B: Backend>(State(b): State<Arc<B>>, headers: HeaderMap) -> Result<Json<FeedInfo>, ApiError> {
    let who = principal(b.as_ref(), &headers).await?;
    match b.feed_secret(&who.user).await? {
        Some(secret) => Ok(Json(info(secret))),
        None => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_feed",
            "you have no calendar feed; `outpost sync feed` makes one",
        )),
    }
}

/// `POST /v1/feed`: a new secret for the token's user; the old URL stops answering.
pub async fn rotate<B: Backend>(State(b): State<Arc<B>>, headers: HeaderMap) -> Result<Json<FeedInfo>, ApiError> {
    let who = principal(b.as_ref(), &headers).await?;
    let secret = auth::issue_feed_secret().map_err(ApiError::unavailable)?;
    b.set_feed_secret(&who.user, Some(&secret)).await?;
    Ok(Json(info(secret)))
}

/// `DELETE /v1/feed`: the token's user has no feed any more.
pub async fn revoke<B: Backend>(State(b): State<Arc<B>>, headers: HeaderMap) -> Result<Json<FeedRevoked>, ApiError> {
    let who = principal(b.as_ref(), &headers).await?;
    let had = b.feed_secret(&who.user).await?.is_some();
    if had {
        b.set_feed_secret(&who.user, None).await?;
    }
    Ok(Json(FeedRevoked { revoked: had }))
}

fn no_feed() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such feed; `outpost sync feed` prints your feed's URL",
    )
}

/// `GET /v1/feed/{SECRET}.ics`: the feed (no token; the secret is the key).
pub async fn calendar<B: Backend>(State(b): State<Arc<B>>, Path(file): Path<String>) -> Result<Response, ApiError> {
    let secret = file
        .strip_suffix(".ics")
        .filter(|s| s.starts_with(auth::FEED_PREFIX))
        .ok_or_else(no_feed)?;
    let who = b.feed_user(secret).await?.ok_or_else(no_feed)?;
    let events = b.live_records(EntityKind::Event).await?;
    let activities = b.live_records(EntityKind::Activity).await?;
    let feed = select(&who, events, activities);
    let mut text = String::new();
    write_calendar(&feed.events, &feed.tasks, chrono::Utc::now(), &mut text);
    Ok((
        [
            ("content-type", "text/calendar; charset=utf-8"),
            ("cache-control", "private, max-age=300"),
        ],
        text,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::records::Role;

    fn anna() -> Principal {
        Principal {
            user: "anna".into(),
            role: Role::Rep,
            name: Some("Anna Berg".into()),
            email: Some("anna@example.com".into()),
        }
    }

    fn event(title: &str, extra: &Value) -> (Id, Fields) {
        let mut f = json!({"title": title, "start": "2026-03-02T09:00:00Z", "end": "2026-03-02T10:00:00Z"});
        if let (Some(o), Some(e)) = (f.as_object_mut(), extra.as_object()) {
            o.extend(e.clone());
        }
        let Value::Object(map) = f else { unreachable!() };
        (Id::new(), map)
    }

    #[test]
    fn the_feed_holds_owned_and_attended_events_with_their_moved_occurrences() {
        let own = event("Own", &json!({"owner": "anna", "rrule": "FREQ=WEEKLY;COUNT=4"}));
        let attended = event(
            "Attended",
            &json!({"owner": "bob", "attendees": ["Anna <ANNA@example.com>"]}),
        );
        let other = event("Bob's", &json!({"owner": "bob"}));
        let unowned = event("Nobody's", &json!({}));
        let moved = event(
            "Own, moved",
            &json!({"owner": "anna", "series_id": own.0.to_string(), "recurrence_id": "2026-03-09T09:00:00Z"}),
        );
        let orphan = event(
            "Bob's moved",
            &json!({"owner": "anna", "series_id": other.0.to_string(), "recurrence_id": "2026-03-09T09:00:00Z"}),
        );
        let task = |subject: &str, extra: Value| {
            let mut f = json!({"kind": "task", "subject": subject, "owner": "anna", "due": "2026-03-03"});
            if let (Some(o), Some(e)) = (f.as_object_mut(), extra.as_object()) {
                o.extend(e.clone());
            }
            let Value::Object(map) = f else { unreachable!() };
            (Id::new(), map)
        };
        let activities = vec![
            task("Open", json!({})),
            task("Done", json!({"done": true})),
            task("Undated", json!({"due": ""})),
            task("Bob's task", json!({"owner": "bob"})),
            task("A call", json!({"kind": "call"})),
        ];
        let Selection { events, tasks } =
            select(&anna(), vec![own, attended, other, unowned, moved, orphan], activities);
        let titles: Vec<&str> = events.iter().map(|(_, e)| e.title.as_str()).collect();
        assert_eq!(titles, ["Own", "Attended", "Own, moved"]);
        let subjects: Vec<&str> = tasks
            .iter()
            .filter_map(|(_, f)| f.get("subject").and_then(Value::as_str))
            .collect();
        assert_eq!(subjects, ["Open"]);
    }
}
