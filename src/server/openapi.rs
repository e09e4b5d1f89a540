//! The machine-readable API description served at `/v1/openapi.json` (OpenAPI 3.0).
//!
//! It is exact where the server is: the patterns of clocks, replica ids, record ids and
//! kinds are what the decoder accepts, integer ranges are the ones the server checks,
//! every status code a route answers is listed with the error codes behind it, and the
//! answers' required fields are the ones the server always writes. `tests/server_schemathesis.rs`
//! runs schemathesis against it on both backends.
//!
//! The calendar feed (`/v1/feed/{file}`) answers `text/calendar`, not JSON.

use serde_json::{Value, json};

use crate::protocol::wire::{MAX_BODY_BYTES, MAX_PAGE, MAX_PUSH_CHANGES};

/// A replica id as the decoder accepts it: 1 to 16 hex digits (sent as 16 lowercase).
pub const REPLICA_PATTERN: &str = "^[0-9a-fA-F]{1,16}$";
/// A clock as the decoder accepts it: `WALL.COUNTER.REPLICA` (wall at most 20 digits
/// and a `u64`, counter at most 10 digits and a `u32`).
pub const HLC_PATTERN: &str = "^[0-9]{1,20}\\.[0-9]{1,10}\\.[0-9a-fA-F]{1,16}$";
/// A calendar feed secret: `opf_` and 40 lowercase hex digits (160 random bits).
pub const FEED_SECRET_PATTERN: &str = "^opf_[0-9a-f]{40}$";
/// A record id: a UUID, hyphenated or not, optionally braced or as a URN.
pub const ID_PATTERN: &str =
    "^(urn:uuid:|\\{)?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\\}?$";

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn json_ok(description: &str, schema: Value) -> Value {
    json!({"200": {"description": description, "content": {"application/json": {"schema": schema}}}})
}

/// The responses of a route: its errors by status code, plus its own.
fn responses(errors: &Value, codes: &[&str], ok: Value) -> Value {
    let mut out = serde_json::Map::new();
    for code in codes {
        if let Some(e) = errors.get(*code) {
            out.insert((*code).to_string(), e.clone());
        }
    }
    if let Value::Object(ok) = ok {
        out.extend(ok);
    }
    Value::Object(out)
}

fn u64_schema() -> Value {
    json!({"type": "integer", "format": "int64", "minimum": 0, "maximum": u64::MAX})
}

/// The document, as JSON text.
#[must_use]
#[allow(clippy::too_many_lines)]
pub fn document() -> String {
    let kinds: Vec<&str> = crate::model::EntityKind::ALL_BY_TAG.iter().map(|k| k.name()).collect();
    let errors = json!({
        "400": error_response("Malformed JSON or query (`bad_json`, `bad_query`: a replica id that is not hex, `limit` outside 1..2000, an unknown parameter), an unreadable body (`bad_body`), or a pull cursor beyond the end of the log (`bad_cursor`)."),
        "401": error_response("No token, or an unknown or revoked one (`unauthorized`)."),
        "403": error_response("The replica belongs to another user (`replica_owned`)."),
        "404": error_response("The token's user has no calendar feed (`no_feed`; `POST /v1/feed` makes one), or no feed has this secret (`not_found`: unknown, replaced or revoked)."),
        "408": error_response("The body did not arrive within the server's body deadline (`body_timeout`)."),
        "409": error_response("A race with another server process (`retry`; retrying is safe), or an acknowledged change sent again with other content (`replay_mismatch`; a replica fault, logged)."),
        "413": error_response("Body or batch too large (`too_large`); with `Expect: 100-continue`, a `Content-Length` over the limit is refused before the body is read (no `100 Continue`)."),
        "415": error_response("The body is not `Content-Type: application/json` (`unsupported_media_type`)."),
        "422": error_response("Valid JSON that does not fit (`invalid`: a wrong type, a change of another replica, a value of the wrong type for its record), or a sequence gap (`seq_gap`)."),
        "503": error_response("Storage unavailable (`unavailable`), or the server is at its limit of concurrent requests or push bodies (`busy`; retry)."),
    });
    let health = json!({"type": "object", "additionalProperties": false,
        "required": ["status", "server_id", "api", "version", "backend"], "properties": {
        "status": {"type": "string", "enum": ["ok"]}, "server_id": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
        "api": {"type": "integer", "minimum": 1}, "version": {"type": "string"},
        "backend": {"type": "string", "enum": ["sled", "postgres"]}}});
    let hlc = json!({"$ref": "#/components/schemas/Hlc"});
    let nullable_hlc = json!({"allOf": [hlc], "nullable": true});
    let whoami = json!({"type": "object", "additionalProperties": false, "required": ["user", "role", "server_id"], "properties": {
        "user": {"type": "string", "description": "login, the value `owner` fields store"},
        "role": {"type": "string", "enum": ["rep", "manager", "admin"]},
        "server_id": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
        "name": {"type": "string", "description": "display name"}, "email": {"type": "string"},
        "now": {"type": "string", "format": "date-time", "description": "the server's clock"},
        "max_clock_skew_ms": {"type": "integer", "minimum": 0, "description": "how far ahead of `now` a change's clock may be"}}});
    let envelope = json!({"type": "object", "required": ["replica", "seq", "entity", "id"],
        "properties": {"replica": {"$ref": "#/components/schemas/Replica"}, "seq": {"type": "integer", "minimum": 0, "maximum": u64::MAX},
            "entity": {"type": "string"}, "id": {"type": "string"}, "reason": {"type": "string", "nullable": true}}});
    let push_body = json!({"type": "object", "required": ["replica", "changes"], "additionalProperties": false, "properties": {
        "replica": {"$ref": "#/components/schemas/Replica"},
        "changes": {"type": "array", "maxItems": MAX_PUSH_CHANGES, "items": {"$ref": "#/components/schemas/Change"}},
        "schema": {"type": "integer", "minimum": 0, "maximum": u32::MAX, "nullable": true,
            "description": "the client's record schema; absent means the server's own; a newer one keeps fields the server does not know"},
        "withheld": {"type": "array", "description": "changes too large to send: acknowledged and refused", "items": envelope}}});
    let push_answer = json!({"type": "object", "additionalProperties": false,
        "required": ["acked", "accepted", "skipped", "refused", "conflicts", "head"], "properties": {
        "acked": u64_schema(), "accepted": {"type": "integer", "minimum": 0}, "skipped": {"type": "integer", "minimum": 0},
        "refused": {"type": "integer", "minimum": 0}, "conflicts": {"type": "integer", "minimum": 0}, "head": u64_schema(),
        "refusals": {"type": "array", "description": "changes of kinds this server does not know, and withheld ones: acknowledged, refused, not logged",
            "items": {"type": "object", "additionalProperties": false, "required": ["seq", "entity", "id", "reason"], "properties": {
                "seq": u64_schema(), "entity": {"type": "string"}, "id": {"type": "string"}, "reason": {"type": "string"}}}}}});
    let page = json!({"type": "object", "additionalProperties": false, "required": ["entries", "next", "more", "head"], "properties": {
        "entries": {"type": "array", "maxItems": MAX_PAGE, "items": {"$ref": "#/components/schemas/Entry"}},
        "next": u64_schema(), "more": {"type": "boolean"}, "head": u64_schema()}});
    let feed = json!({"type": "object", "additionalProperties": false, "required": ["secret", "path"], "properties": {
        "secret": {"type": "string", "pattern": FEED_SECRET_PATTERN, "description": "read-only: opens this feed and nothing else; not a token"},
        "path": {"type": "string", "pattern": "^/v1/feed/opf_[0-9a-f]{40}\\.ics$", "description": "the feed's path on this server"}}});
    let revoked = json!({"type": "object", "additionalProperties": false, "required": ["revoked"], "properties": {
        "revoked": {"type": "boolean", "description": "false when there was no feed"}}});
    let doc = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "outpost sync API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": format!("Star-topology sync for outpost. Every request but live, ready, health and this document carries \
                `Authorization: Bearer TOKEN`; the actor of a change is the token's user. Push sends a replica's \
                outbox (contiguous sequences; retries are skipped); pull pages through the log after a cursor. \
                A pushed change the server refuses alone (its clock out of bounds, a record the model's checks refuse, an owner \
                that is no user of the server, a record a rep may not change) is acknowledged and logged with its reason, \
                which only its own replica pulls. \
                Request bodies may be sent with `Content-Encoding: gzip`; the size limit applies after decompression. Responses are gzip-compressed when the client sends `Accept-Encoding: gzip`. \
                A request with `Expect: 100-continue` declaring a body over {MAX_BODY_BYTES} bytes is answered 413 before the body is read; a client that sends \
                its request head too slowly is disconnected.")
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "additionalProperties": false, "required": ["error"], "properties": {"error": {"type": "object",
                    "additionalProperties": false, "required": ["code", "message"], "properties": {
                        "code": {"type": "string", "pattern": "^[a-z_]+$"}, "message": {"type": "string", "minLength": 1}}}}},
                "Replica": {"type": "string", "pattern": REPLICA_PATTERN, "description": "a replica id: 16 hex digits"},
                "Hlc": {"type": "string", "pattern": HLC_PATTERN,
                    "description": "WALL.COUNTER.REPLICA: milliseconds since the epoch (at most the server's clock plus its skew bound), a counter (at most 4294967295), a replica id; e.g. 1718000000000.00000.00000000000000ab"},
                "Id": {"type": "string", "pattern": ID_PATTERN, "description": "a record id (UUID)"},
                "Kind": {"type": "string", "enum": kinds},
                "Change": {"type": "object", "required": ["replica", "seq", "hlc", "entity", "id", "op"], "properties": {
                    "replica": {"$ref": "#/components/schemas/Replica"},
                    "seq": {"type": "integer", "minimum": 1, "maximum": u64::MAX},
                    "hlc": hlc,
                    "entity": {"$ref": "#/components/schemas/Kind"},
                    "id": {"$ref": "#/components/schemas/Id"},
                    "op": {"type": "string", "enum": ["create", "set", "delete", "restore"]},
                    "fields": {"type": "object", "description": "create (required): every field"},
                    "field": {"type": "string", "description": "set (required): the field"},
                    "value": {"description": "set (required): the new value"},
                    "base": {"allOf": [hlc], "nullable": true, "description": "set/delete/restore: clock of the replaced value"},
                    "seen": {"type": "object", "additionalProperties": hlc, "description": "delete: field clocks the deleter saw"}
                }},
                "Stored": {"type": "object", "required": ["fields", "clock"], "additionalProperties": false, "properties": {
                    "fields": {"type": "object"}, "clock": hlc, "clocks": {"type": "object", "additionalProperties": hlc},
                    "deleted": {"type": "boolean"}}},
                "Conflict": {"type": "object", "additionalProperties": false,
                    "required": ["id", "kind", "entity", "record", "field", "winner", "loser", "actor", "at"], "properties": {
                    "id": {"type": "string"}, "kind": {"type": "string", "enum": ["edit", "delete", "refused", "held"]},
                    "entity": {"$ref": "#/components/schemas/Kind"}, "record": {"$ref": "#/components/schemas/Id"}, "field": {"type": "string"},
                    "winner": {"$ref": "#/components/schemas/Side"}, "loser": {"$ref": "#/components/schemas/Side"},
                    "actor": {"type": "string"}, "at": {"type": "string", "format": "date-time"}, "reason": {"type": "string"}
                }},
                "Side": {"type": "object", "additionalProperties": false, "required": ["value", "hlc"], "properties": {"value": {}, "hlc": nullable_hlc}},
                "Entry": {"type": "object", "additionalProperties": false, "required": ["cursor", "actor", "at", "change"], "properties": {
                    "cursor": {"type": "integer", "minimum": 1}, "actor": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
                    "change": {"$ref": "#/components/schemas/Change"},
                    "conflicts": {"type": "array", "items": {"$ref": "#/components/schemas/Conflict"}},
                    "refused": {"type": "object", "additionalProperties": false, "required": ["reason", "current"], "properties": {
                        "reason": {"type": "string"}, "current": {"allOf": [{"$ref": "#/components/schemas/Stored"}], "nullable": true}}}
                }}
            }
        },
        "paths": {
            "/v1/live": {"get": {"summary": "The process answers (no storage check); server identity",
                "responses": responses(&errors, &["503"], json_ok("alive", health.clone()))}},
            "/v1/ready": {"get": {"summary": "The storage answers (a read on sled, `SELECT 1` on PostgreSQL, within 2 s); 503 otherwise",
                "responses": responses(&errors, &["503"], json_ok("ready", health.clone()))}},
            "/v1/health": {"get": {"summary": "Same as /v1/ready: the storage answers; server identity",
                "responses": responses(&errors, &["503"], json_ok("ready", health))}},
            "/v1/openapi.json": {"get": {"summary": "This document",
                "responses": responses(&errors, &["503"], json_ok("OpenAPI 3 JSON", json!({"type": "object", "required": ["openapi", "info", "paths"]})))}},
            "/v1/whoami": {"get": {"summary": "The token's user and the server id", "security": [{"bearer": []}],
                "responses": responses(&errors, &["401", "503"], json_ok("who", whoami))}},
            "/v1/push": {"post": {"summary": format!("Push a replica's outbox changes (at most {MAX_PUSH_CHANGES}, body at most {MAX_BODY_BYTES} bytes)"),
                "security": [{"bearer": []}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": push_body,
                    "example": {"replica": "00000000000000ab", "schema": crate::model::entity::SCHEMA, "changes": [
                        {"replica": "00000000000000ab", "seq": 1, "hlc": "1718000000000.00000.00000000000000ab", "entity": "account",
                         "id": "0190f0c2-5a4e-7c3b-8d2e-1f0a9b8c7d6e", "op": "create", "fields": {"name": "Example AB"}}]}}}},
                "responses": responses(&errors, &["400", "401", "403", "408", "409", "413", "415", "422", "503"], json_ok("acknowledged", push_answer))}},
            "/v1/pull": {"get": {"summary": "One page of the log after a cursor", "security": [{"bearer": []}],
                "parameters": [
                    {"name": "replica", "in": "query", "required": true, "schema": {"$ref": "#/components/schemas/Replica"}, "example": "00000000000000ab"},
                    {"name": "after", "in": "query", "description": "a cursor this server gave (`next` of a page); beyond `head` is 400 `bad_cursor`",
                        "schema": {"type": "integer", "default": 0, "minimum": 0, "maximum": u64::MAX}},
                    {"name": "limit", "in": "query", "description": "most entries in the page",
                        "schema": {"type": "integer", "default": 1000, "minimum": 1, "maximum": MAX_PAGE}}],
                "responses": responses(&errors, &["400", "401", "403", "409", "503"], json_ok("a page", page))}},
            "/v1/feed": {
                "get": {"summary": "The token's user's calendar feed: its secret and path (404 `no_feed` when there is none)", "security": [{"bearer": []}],
                    "responses": responses(&errors, &["401", "404", "503"], json_ok("the feed", feed.clone()))},
                "post": {"summary": "A new calendar feed secret for the token's user; the old URL answers 404 from now on", "security": [{"bearer": []}],
                    "responses": responses(&errors, &["401", "503"], json_ok("the new feed", feed))},
                "delete": {"summary": "Revoke the token's user's calendar feed: its URL answers 404 from now on", "security": [{"bearer": []}],
                    "responses": responses(&errors, &["401", "503"], json_ok("done", revoked))}},
            "/v1/feed/{file}": {"get": {
                "summary": "A user's calendar feed (RFC 5545): the events they own or attend, with recurrence, and their open tasks with a due date. No token: the secret in the path is the key (a sync token does not open it, and the secret opens nothing else)",
                "parameters": [{"name": "file", "in": "path", "required": true, "description": "the feed secret followed by `.ics`",
                    "schema": {"type": "string", "pattern": "^opf_[0-9a-f]{40}\\.ics$"}, "example": "opf_0123456789abcdef0123456789abcdef01234567.ics"}],
                "responses": responses(&errors, &["404", "503"], json!({"200": {"description": "the calendar",
                    "content": {"text/calendar": {"schema": {"type": "string", "description": "BEGIN:VCALENDAR ... END:VCALENDAR, CRLF lines folded at 75 octets"}}}}}))}}
        }
    });
    doc.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Hlc, Id, ReplicaId};

    #[test]
    fn the_document_is_json_and_names_every_kind() {
        let doc: Value = serde_json::from_str(&document()).expect("json");
        let kinds = doc["components"]["schemas"]["Kind"]["enum"].as_array().expect("kinds");
        assert_eq!(kinds.len(), crate::model::EntityKind::ALL_BY_TAG.len());
    }

    #[test]
    fn what_the_decoders_write_fits_the_patterns_they_describe() {
        // The decoders refuse what the patterns refuse (a sign, too many digits).
        assert!("+ab".parse::<ReplicaId>().is_err());
        assert!("00000000000000001".parse::<ReplicaId>().is_err(), "17 digits");
        assert!("ABCDEF0123456789".parse::<ReplicaId>().is_ok());
        assert!("+1.0.ab".parse::<Hlc>().is_err());
        assert!("1.+0.ab".parse::<Hlc>().is_err());
        assert!("000000000000000000001.0.ab".parse::<Hlc>().is_err(), "21 digits");
        assert!("1.00000000001.ab".parse::<Hlc>().is_err(), "11 digits");
        assert!(Id::new().to_string().len() == 36);
    }
}
