//! The machine-readable API description served at `/v1/openapi.json` (OpenAPI 3.0).

use serde_json::{Value, json};

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

/// The document, as JSON text.
#[must_use]
pub fn document() -> String {
    let kinds: Vec<&str> = crate::model::EntityKind::ALL_BY_TAG.iter().map(|k| k.name()).collect();
    let errors = json!({
        "400": error_response("Malformed JSON or query (`bad_json`, `bad_query`), an unreadable body (`bad_body`), or a pull cursor beyond the end of the log (`bad_cursor`)."),
        "401": error_response("No token, or an unknown or revoked one (`unauthorized`)."),
        "403": error_response("The replica belongs to another user (`replica_owned`)."),
        "408": error_response("The body did not arrive within the server's body deadline (`body_timeout`)."),
        "409": error_response("A race with another server process (`retry`; retrying is safe), or an acknowledged change sent again with other content (`replay_mismatch`; a replica fault, logged)."),
        "413": error_response("Body or batch too large (`too_large`); with `Expect: 100-continue`, a `Content-Length` over the limit is refused before the body is read (no `100 Continue`)."),
        "415": error_response("The body is not `Content-Type: application/json` (`unsupported_media_type`)."),
        "422": error_response("Valid JSON that does not fit (`invalid`), or a sequence gap (`seq_gap`)."),
        "503": error_response("Storage unavailable (`unavailable`), or the server is at its limit of concurrent requests or push bodies (`busy`; retry)."),
    });
    let with_errors = |codes: &[&str], ok: Value| {
        let mut responses = serde_json::Map::new();
        for code in codes {
            if let Some(e) = errors.get(*code) {
                responses.insert((*code).to_string(), e.clone());
            }
        }
        if let Value::Object(ok) = ok {
            responses.extend(ok);
        }
        Value::Object(responses)
    };
    let health_schema = json!({"type": "object", "required": ["status", "server_id", "api", "version", "backend"], "properties": {
        "status": {"type": "string", "enum": ["ok"]}, "server_id": {"type": "string"}, "api": {"type": "integer"},
        "version": {"type": "string"}, "backend": {"type": "string", "enum": ["sled", "postgres"]}}});
    let health_ok = json!({"200": {"description": "ok", "content": {"application/json": {"schema": health_schema}}}});
    let doc = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "outpost sync API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Star-topology sync for outpost. Every request but health and this document carries \
                `Authorization: Bearer TOKEN`; the actor of a change is the token's user. Push sends a replica's \
                outbox (contiguous sequences; retries are skipped); pull pages through the log after a cursor. \
                Request bodies may be sent with `Content-Encoding: gzip`; the size limit applies after decompression. Responses are gzip-compressed when the client sends `Accept-Encoding: gzip`. \
                A request with `Expect: 100-continue` declaring a body over 8 MiB is answered 413 before the body is read; a client that sends \
                its request head too slowly is disconnected."
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
                    "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
                "Hlc": {"type": "string", "description": "WALL.COUNTER.REPLICA, e.g. 1718000000000.00000.00000000000000ab", "pattern": "^[0-9]+\\.[0-9]+\\.[0-9a-f]+$"},
                "Change": {"type": "object", "required": ["replica", "seq", "hlc", "entity", "id", "op"], "properties": {
                    "replica": {"type": "string", "description": "16 hex digits"},
                    "seq": {"type": "integer", "minimum": 1},
                    "hlc": {"$ref": "#/components/schemas/Hlc"},
                    "entity": {"type": "string", "enum": kinds},
                    "id": {"type": "string", "format": "uuid"},
                    "op": {"type": "string", "enum": ["create", "set", "delete", "restore"]},
                    "fields": {"type": "object", "description": "create: every field"},
                    "field": {"type": "string", "description": "set: the field"},
                    "value": {"description": "set: the new value"},
                    "base": {"$ref": "#/components/schemas/Hlc", "nullable": true, "description": "set/delete/restore: clock of the replaced value"},
                    "seen": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Hlc"}, "description": "delete: field clocks the deleter saw"}
                }},
                "Conflict": {"type": "object", "properties": {
                    "id": {"type": "string"}, "kind": {"type": "string", "enum": ["edit", "delete", "refused"]},
                    "entity": {"type": "string"}, "record": {"type": "string", "format": "uuid"}, "field": {"type": "string"},
                    "winner": {"$ref": "#/components/schemas/Side"}, "loser": {"$ref": "#/components/schemas/Side"},
                    "actor": {"type": "string"}, "at": {"type": "string", "format": "date-time"}, "reason": {"type": "string"}
                }},
                "Side": {"type": "object", "properties": {"value": {}, "hlc": {"$ref": "#/components/schemas/Hlc", "nullable": true}}},
                "Entry": {"type": "object", "required": ["cursor", "actor", "at", "change"], "properties": {
                    "cursor": {"type": "integer"}, "actor": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
                    "change": {"$ref": "#/components/schemas/Change"},
                    "conflicts": {"type": "array", "items": {"$ref": "#/components/schemas/Conflict"}},
                    "refused": {"type": "object", "properties": {"reason": {"type": "string"}, "current": {"type": "object", "nullable": true}}}
                }}
            }
        },
        "paths": {
            "/v1/live": {"get": {"summary": "The process answers (no storage check); server identity",
                "responses": with_errors(&["503"], health_ok.clone())}},
            "/v1/ready": {"get": {"summary": "The storage answers (a read on sled, `SELECT 1` on PostgreSQL, within 2 s); 503 otherwise",
                "responses": with_errors(&["503"], health_ok.clone())}},
            "/v1/health": {"get": {"summary": "Same as /v1/ready: the storage answers; server identity",
                "responses": with_errors(&["503"], health_ok.clone())}},
            "/v1/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3 JSON"}}}},
            "/v1/whoami": {"get": {"summary": "The token's user and the server id", "security": [{"bearer": []}],
                "responses": with_errors(&["401", "503"], json!({"200": {"description": "who", "content": {"application/json": {"schema": {"type": "object",
                    "properties": {"user": {"type": "string", "description": "login, the value `owner` fields store"}, "role": {"type": "string", "enum": ["rep", "manager", "admin"]}, "server_id": {"type": "string"}, "name": {"type": "string", "description": "display name"}, "email": {"type": "string"},
                    "now": {"type": "string", "format": "date-time", "description": "the server's clock"}, "max_clock_skew_ms": {"type": "integer", "description": "how far ahead of `now` a change's clock may be"}}}}}}}))}},
            "/v1/push": {"post": {"summary": "Push a replica's outbox changes (at most 1000, body at most 8 MiB)", "security": [{"bearer": []}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["replica", "changes"],
                    "additionalProperties": false, "properties": {"replica": {"type": "string"}, "changes": {"type": "array", "items": {"$ref": "#/components/schemas/Change"}},
                    "schema": {"type": "integer", "minimum": 1, "description": "the client's record schema; absent means the first"},
                    "withheld": {"type": "array", "description": "changes too large to send: acknowledged and refused", "items": {"type": "object", "required": ["replica", "seq", "entity", "id"],
                        "properties": {"replica": {"type": "string"}, "seq": {"type": "integer", "minimum": 1}, "entity": {"type": "string"}, "id": {"type": "string"}, "reason": {"type": "string"}}}}}}}}},
                "responses": with_errors(&["400", "401", "403", "408", "409", "413", "415", "422", "503"], json!({"200": {"description": "acknowledged", "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "acked": {"type": "integer"}, "accepted": {"type": "integer"}, "skipped": {"type": "integer"},
                    "refused": {"type": "integer"}, "conflicts": {"type": "integer"}, "head": {"type": "integer"},
                    "refusals": {"type": "array", "description": "changes of kinds this server does not know: acknowledged, refused, not logged ({seq, entity, id, reason})"}}}}}}}))}},
            "/v1/pull": {"get": {"summary": "One page of the log after a cursor", "security": [{"bearer": []}],
                "parameters": [
                    {"name": "replica", "in": "query", "required": true, "schema": {"type": "string"}},
                    {"name": "after", "in": "query", "description": "a cursor this server gave (`next` of a page); beyond `head` is 400 `bad_cursor`", "schema": {"type": "integer", "default": 0, "minimum": 0}},
                    {"name": "limit", "in": "query", "description": "clamped to 1..2000", "schema": {"type": "integer", "default": 1000, "maximum": 2000}}],
                "responses": with_errors(&["400", "401", "403", "409", "503"], json!({"200": {"description": "a page", "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "entries": {"type": "array", "items": {"$ref": "#/components/schemas/Entry"}},
                    "next": {"type": "integer"}, "more": {"type": "boolean"}, "head": {"type": "integer"}}}}}}}))}}
        }
    });
    doc.to_string()
}
