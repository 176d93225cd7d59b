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
