//! The OpenAPI 3.1 document served at `/api/v1/openapi.json` and browsed at `/docs`.

use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "SIAGIE API",
        description = "Sistema de Información de Apoyo a la Gestión de la Institución Educativa: registro de organización, identidad, asistencia y sincronización de tabletas. Los errores usan siempre la forma `{\"error\": {\"code\", \"message\", \"fields\"}}`.",
    ),
    modifiers(&BearerAuth),
    components(schemas(ErrorBody)),
    tags(
        (name = "auth", description = "Inicio de sesión, tokens y usuario actual"),
        (name = "registry", description = "DRE, UGEL, IE, calendario, secciones, estudiantes y matrículas"),
        (name = "provisioning", description = "Altas y bajas de usuarios con aprobación"),
        (name = "audit", description = "Registro de auditoría y tabletas"),
        (name = "attendance", description = "Registro mensual de asistencia, cierre y modificación excepcional"),
        (name = "sync", description = "Sincronización de tabletas (contrato móvil v1)"),
        (name = "health", description = "Sondas de vida y disponibilidad"),
        (name = "certificates", description = "Mi Certificado: solicitudes, emisión, verificación y configuración de certificados de estudios"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The base document, before the routes add their paths.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document with the tablet contract's request and response types (JSON Schema from the
/// `mobile-contract` crate) in place of the untyped bodies of `/sync/push` and `/sync/pull`.
pub fn with_contract(doc: utoipa::openapi::OpenApi) -> serde_json::Value {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
        })
        .into_generator();
    let push_request = generator.subschema_for::<mobile_contract::PushRequest>();
    let push_response = generator.subschema_for::<mobile_contract::PushResponse>();
    let pull_response = generator.subschema_for::<mobile_contract::PullResponse>();
    let definitions = generator.take_definitions(true);
    let mut value = serde_json::to_value(&doc).unwrap_or_default();
    let schemas = &mut value["components"]["schemas"];
    if let Some(schemas) = schemas.as_object_mut() {
        for (name, schema) in definitions {
            schemas.entry(name).or_insert(schema);
        }
    }
    let set = |value: &mut serde_json::Value,
               path: &str,
               method: &str,
               at: &[&str],
               schema: serde_json::Value| {
        let Some(mut node) = value
            .get_mut("paths")
            .and_then(|p| p.get_mut(path))
            .and_then(|p| p.get_mut(method))
        else {
            return;
        };
        for key in at {
            node = &mut node[*key];
        }
        node["content"]["application/json"]["schema"] = schema;
    };
    set(
        &mut value,
        "/api/v1/sync/push",
        "post",
        &["requestBody"],
        push_request.to_value(),
    );
    set(
        &mut value,
        "/api/v1/sync/push",
        "post",
        &["responses", "200"],
        push_response.to_value(),
    );
    set(
        &mut value,
        "/api/v1/sync/pull",
        "get",
        &["responses", "200"],
        pull_response.to_value(),
    );
    declare_errors(&mut value);
    declare_links(&mut value);
    declare_idempotency_keys(&mut value);
    value
}

/// The `Idempotency-Key` header as the server reads it: 8 to 255 visible ASCII characters.
fn declare_idempotency_keys(value: &mut serde_json::Value) {
    let Some(paths) = value.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(|p| p.as_object_mut())
        .flat_map(|p| p.values_mut())
    {
        let Some(parameters) = operation
            .get_mut("parameters")
            .and_then(|p| p.as_array_mut())
        else {
            continue;
        };
        for parameter in parameters
            .iter_mut()
            .filter(|p| p["in"] == "header" && p["name"] == "Idempotency-Key")
        {
            parameter["schema"] = serde_json::json!({
                "type": "string", "minLength": 8, "maxLength": 255, "pattern": "^[!-~]+$"
            });
        }
    }
}

/// A step that follows a write: its path, its method and where its `id` comes from.
type NextStep = (&'static str, &'static str, &'static str);

/// Where the id of the resource an answer creates, or of the path a step was sent to, is found.
const BODY_ID: &str = "$response.body#/id";
const PATH_ID: &str = "$request.path.id";

/// The steps that follow a write, as OpenAPI links: (the write's path, method and status, then
/// each next step's path and method, and where its `id` comes from). A client (or a fuzzer's
/// stateful phase) follows them from a resource it created to the workflow's next steps with real
/// ids: a help-desk ticket through take, escalate and resolve; a certificate request to issue and
/// annul; a section to its roster, grades, situations and closure, and from a closed acta to its
/// modification, recuperación and regularization.
const LINKS: &[(&str, &str, &str, &[NextStep])] = &[
    (
        "/helpdesk/tickets",
        "post",
        "201",
        &[
            ("/helpdesk/tickets/{id}", "get", BODY_ID),
            ("/helpdesk/tickets/{id}/take", "post", BODY_ID),
            ("/helpdesk/tickets/{id}/messages", "post", BODY_ID),
            ("/helpdesk/tickets/{id}/priority", "post", BODY_ID),
            ("/helpdesk/tickets/{id}/similar", "get", BODY_ID),
            ("/helpdesk/tickets/{id}/escalate", "post", BODY_ID),
            ("/helpdesk/tickets/{id}/annul", "post", BODY_ID),
        ],
    ),
    (
        "/helpdesk/tickets/{id}/take",
        "post",
        "200",
        &[
            ("/helpdesk/tickets/{id}/escalate", "post", BODY_ID),
            ("/helpdesk/tickets/{id}/resolve", "post", BODY_ID),
            ("/helpdesk/tickets/{id}/wait", "post", BODY_ID),
            ("/helpdesk/tickets/{id}/return", "post", BODY_ID),
            ("/helpdesk/tickets/{id}/messages", "post", BODY_ID),
        ],
    ),
    (
        "/helpdesk/tickets/{id}/escalate",
        "post",
        "200",
        &[
            ("/helpdesk/tickets/{id}/take", "post", BODY_ID),
            ("/helpdesk/tickets/{id}/return", "post", BODY_ID),
            ("/helpdesk/tickets/{id}/resolve", "post", BODY_ID),
        ],
    ),
    (
        "/helpdesk/tickets/{id}/resolve",
        "post",
        "200",
        &[
            ("/helpdesk/tickets/{id}/close", "post", BODY_ID),
            ("/helpdesk/tickets/{id}/reopen", "post", BODY_ID),
            ("/helpdesk/tickets/{id}/rating", "post", BODY_ID),
            ("/helpdesk/tickets/{id}/article", "post", BODY_ID),
        ],
    ),
    (
        "/certificate-requests",
        "post",
        "201",
        &[
            ("/certificate-requests/{id}", "get", BODY_ID),
            ("/certificate-requests/{id}/years", "put", BODY_ID),
            ("/certificate-requests/{id}/preview", "get", BODY_ID),
            ("/certificate-requests/{id}/issue", "post", BODY_ID),
            ("/certificate-requests/{id}/reject", "post", BODY_ID),
        ],
    ),
    (
        "/certificate-requests/{id}/issue",
        "post",
        "201",
        &[
            ("/certificates/{id}", "get", BODY_ID),
            ("/certificates/{id}/pdf", "get", BODY_ID),
            ("/certificates/{id}/annul", "post", BODY_ID),
            ("/certificates/{id}/correct", "post", BODY_ID),
        ],
    ),
    (
        "/schools/{id}/sections",
        "post",
        "201",
        &[
            ("/sections/{id}", "get", BODY_ID),
            ("/sections/{id}/students", "post", BODY_ID),
            ("/sections/{id}/students", "get", BODY_ID),
            ("/sections/{id}/acta", "get", BODY_ID),
            ("/sections/{id}/acta/grades", "put", BODY_ID),
            ("/sections/{id}/acta/situations", "put", BODY_ID),
            ("/sections/{id}/acta/close", "post", BODY_ID),
        ],
    ),
    (
        "/sections/{id}/students",
        "post",
        "201",
        &[
            ("/sections/{id}/acta", "get", PATH_ID),
            ("/sections/{id}/acta/grades", "put", PATH_ID),
        ],
    ),
    (
        "/sections/{id}/acta/grades",
        "put",
        "200",
        &[
            ("/sections/{id}/acta/situations", "put", PATH_ID),
            ("/sections/{id}/acta/close", "post", PATH_ID),
        ],
    ),
    (
        "/sections/{id}/acta/situations",
        "put",
        "200",
        &[("/sections/{id}/acta/close", "post", PATH_ID)],
    ),
    (
        "/sections/{id}/acta/close",
        "post",
        "200",
        &[
            ("/sections/{id}/acta/pdf", "get", PATH_ID),
            ("/sections/{id}/acta/recovery", "put", PATH_ID),
            ("/sections/{id}/acta/modifications", "post", PATH_ID),
            ("/sections/{id}/regularization", "post", PATH_ID),
        ],
    ),
    (
        "/sections/{id}/acta/modifications",
        "post",
        "201",
        &[
            ("/acta-modifications/{id}", "get", BODY_ID),
            ("/acta-modifications/{id}/opinion", "post", BODY_ID),
            ("/acta-modifications/{id}/enable", "post", BODY_ID),
        ],
    ),
    (
        "/sections/{id}/regularization",
        "post",
        "201",
        &[
            ("/regularizations/{id}", "get", BODY_ID),
            ("/regularizations/{id}/decision", "post", BODY_ID),
        ],
    ),
    (
        "/provisioning/requests",
        "post",
        "201",
        &[
            ("/provisioning/requests/{id}", "get", BODY_ID),
            ("/provisioning/requests/{id}/approve", "post", BODY_ID),
            ("/provisioning/requests/{id}/reject", "post", BODY_ID),
        ],
    ),
];

/// A JSON pointer to an operation of the document, as a link's `operationRef`.
fn operation_ref(path: &str, method: &str) -> String {
    format!(
        "#/paths/{}/{method}",
        format!("{PREFIX}{path}")
            .replace('~', "~0")
            .replace('/', "~1")
    )
}

const PREFIX: &str = "/api/v1";

/// Adds [`LINKS`] to the answers they start from; a link whose operations are not in the document
/// is left out.
fn declare_links(value: &mut serde_json::Value) {
    for (path, method, status, next) in LINKS {
        let links: serde_json::Map<String, serde_json::Value> = next
            .iter()
            .filter(|(to, to_method, _)| {
                value["paths"][format!("{PREFIX}{to}")][*to_method].is_object()
            })
            .map(|(to, to_method, id)| {
                let name = format!("{to_method} {to}")
                    .replace(['/', '{', '}', ' ', '-'], "_")
                    .trim_matches('_')
                    .to_owned();
                (
                    name,
                    serde_json::json!({
                        "operationRef": operation_ref(to, to_method),
                        "parameters": { "id": id },
                    }),
                )
            })
            .collect();
        let Some(response) = value
            .get_mut("paths")
            .and_then(|p| p.get_mut(format!("{PREFIX}{path}")))
            .and_then(|p| p.get_mut(*method))
            .and_then(|o| o.get_mut("responses"))
            .and_then(|r| r.get_mut(*status))
            .and_then(|r| r.as_object_mut())
        else {
            continue;
        };
        response.insert("links".into(), serde_json::Value::Object(links));
    }
}

/// Every operation can answer the errors every route shares, all in the one error shape: a bad
/// body or query (400), a missing or ended session (401, where a token is required), a role or
/// jurisdiction that does not reach (403), what does not exist or is out of reach (404), a rule
/// broken by the current state (409, on writes), a body too large (413), values that break a rule (422), too many requests (429), a database that
/// cannot be reached (503). Each is declared where the route did not say more.
fn declare_errors(value: &mut serde_json::Value) {
    let shared: [(&str, &str); 9] = [
        (
            "400",
            "`invalid_body`, `invalid_query`, `control_characters`",
        ),
        (
            "401",
            "`unauthenticated`, `invalid_token`, `token_expired`, `session_revoked`",
        ),
        ("403", "`forbidden` and the role's own refusals"),
        (
            "404",
            "`not_found`: it does not exist, or is outside the caller's reach",
        ),
        (
            "409",
            "a rule broken by the current state (`already_exists`, `register_closed`, …)",
        ),
        ("413", "`payload_too_large`"),
        ("422", "`validation_failed`, with a message per field"),
        (
            "429",
            "`too_many_attempts`, `server_busy`, with `Retry-After`",
        ),
        (
            "503",
            "`service_unavailable`, with `Retry-After`: try again later",
        ),
    ];
    let Some(paths) = value.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for (path, operations) in paths.iter_mut() {
        let public = path.starts_with("/health/") || path.starts_with("/api/v1/auth/");
        let Some(operations) = operations.as_object_mut() else {
            continue;
        };
        for (method, operation) in operations.iter_mut() {
            let Some(responses) = operation
                .get_mut("responses")
                .and_then(|r| r.as_object_mut())
            else {
                continue;
            };
            for (status, description) in shared {
                if (status == "401" && public) || (status == "409" && method == "get") {
                    continue;
                }
                responses.entry(status).or_insert_with(|| {
                    serde_json::json!({
                        "description": description,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
                    })
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_tablet_bodies_are_typed_in_the_document() {
        let app = utoipa_axum::router::OpenApiRouter::<()>::with_openapi(super::document());
        let (_, doc) = app.split_for_parts();
        let mut doc = doc;
        let mut paths = utoipa::openapi::path::Paths::new();
        let body = utoipa::openapi::request_body::RequestBodyBuilder::new()
            .content(
                "application/json",
                utoipa::openapi::ContentBuilder::new()
                    .schema(Some(utoipa::openapi::ObjectBuilder::new()))
                    .build(),
            )
            .build();
        paths.add_path_operation(
            "/api/v1/sync/push",
            vec![utoipa::openapi::HttpMethod::Post],
            utoipa::openapi::path::OperationBuilder::new()
                .request_body(Some(body))
                .response("200", utoipa::openapi::Response::new("ok"))
                .build(),
        );
        doc.paths = paths;
        let typed = super::with_contract(doc);
        let push = &typed["paths"]["/api/v1/sync/push"]["post"];
        assert_eq!(
            push["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/PushRequest"
        );
        let request = &typed["components"]["schemas"]["PushRequest"];
        assert!(request["properties"]["marks"].is_object(), "{request}");
        assert!(typed["components"]["schemas"]["Mark"]["properties"]["mark_id"].is_object());
    }
}
