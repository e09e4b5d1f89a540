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
        "400": error_response("Malformed JSON or query (`bad_json`, `bad_query`)."),
        "401": error_response("No token, or an unknown or revoked one (`unauthorized`)."),
        "403": error_response("The replica belongs to another user (`replica_owned`)."),
        "409": error_response("A race with another server process (`retry`); retrying is safe."),
        "413": error_response("Body or batch too large (`too_large`)."),
        "422": error_response("Valid JSON that does not fit (`invalid`), or a sequence gap (`seq_gap`)."),
        "503": error_response("Storage unavailable (`unavailable`)."),
    });
    let with_errors = |ok: Value| {
        let mut responses = errors.clone();
        if let (Some(map), Value::Object(ok)) = (responses.as_object_mut(), ok) {
            map.extend(ok);
        }
        responses
    };
    let doc = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "outpost sync API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Star-topology sync for outpost. Every request but health and this document carries \
                `Authorization: Bearer TOKEN`; the actor of a change is the token's user. Push sends a replica's \
                outbox (contiguous sequences; retries are skipped); pull pages through the log after a cursor. \
                Request bodies may be sent with `Content-Encoding: gzip`; the size limit applies after decompression. Responses are gzip-compressed when the client sends `Accept-Encoding: gzip`."
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
            "/v1/health": {"get": {"summary": "Liveness and server identity", "responses": {"200": {"description": "ok",
                "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "status": {"type": "string"}, "server_id": {"type": "string"}, "api": {"type": "integer"},
                    "version": {"type": "string"}, "backend": {"type": "string"}}}}}}}}},
            "/v1/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3 JSON"}}}},
            "/v1/whoami": {"get": {"summary": "The token's user and the server id", "security": [{"bearer": []}],
                "responses": with_errors(json!({"200": {"description": "who", "content": {"application/json": {"schema": {"type": "object",
                    "properties": {"user": {"type": "string", "description": "login, the value `owner` fields store"}, "role": {"type": "string", "enum": ["rep", "manager", "admin"]}, "server_id": {"type": "string"}, "name": {"type": "string", "description": "display name"}, "email": {"type": "string"},
                    "now": {"type": "string", "format": "date-time", "description": "the server's clock"}, "max_clock_skew_ms": {"type": "integer", "description": "how far ahead of `now` a change's clock may be"}}}}}}}))}},
            "/v1/push": {"post": {"summary": "Push a replica's outbox changes (at most 1000, body at most 8 MiB)", "security": [{"bearer": []}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["replica", "changes"],
                    "additionalProperties": false, "properties": {"replica": {"type": "string"}, "changes": {"type": "array", "items": {"$ref": "#/components/schemas/Change"}},
                    "schema": {"type": "integer", "minimum": 1, "description": "the client's record schema; absent means the first"},
                    "withheld": {"type": "array", "description": "changes too large to send: acknowledged and refused", "items": {"type": "object", "required": ["replica", "seq", "entity", "id"],
                        "properties": {"replica": {"type": "string"}, "seq": {"type": "integer", "minimum": 1}, "entity": {"type": "string"}, "id": {"type": "string"}, "reason": {"type": "string"}}}}}}}}},
                "responses": with_errors(json!({"200": {"description": "acknowledged", "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "acked": {"type": "integer"}, "accepted": {"type": "integer"}, "skipped": {"type": "integer"},
                    "refused": {"type": "integer"}, "conflicts": {"type": "integer"}, "head": {"type": "integer"},
                    "refusals": {"type": "array", "description": "changes of kinds this server does not know: acknowledged, refused, not logged ({seq, entity, id, reason})"}}}}}}}))}},
            "/v1/pull": {"get": {"summary": "One page of the log after a cursor", "security": [{"bearer": []}],
                "parameters": [
                    {"name": "replica", "in": "query", "required": true, "schema": {"type": "string"}},
                    {"name": "after", "in": "query", "schema": {"type": "integer", "default": 0}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 1000, "maximum": 2000}}],
                "responses": with_errors(json!({"200": {"description": "a page", "content": {"application/json": {"schema": {"type": "object", "properties": {
                    "entries": {"type": "array", "items": {"$ref": "#/components/schemas/Entry"}},
                    "next": {"type": "integer"}, "more": {"type": "boolean"}, "head": {"type": "integer"}}}}}}}))}}
        }
    });
    doc.to_string()
}
