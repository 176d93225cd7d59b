//! The help desk's part of the demo world: the specialists of N2 (DRE Cajamarca) and N3
//! (MINEDU), a second agent of the Central de Atención, the DRE's regional holidays, a few dozen
//! tickets in every state filed from IEs of both UGELs, and a knowledge base of articles on
//! SIAGIE's common problems.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    Statement,
};

use entity::{
    helpdesk_article, helpdesk_event, helpdesk_message, helpdesk_ticket, helpdesk_topic,
    helpdesk_vocabulary::{
        ArticleState, EventKind, N2Unit, Priority, Severity, TicketLevel, TicketState,
    },
    person, school, ugel, user_account,
};

use super::world::{self, AccountSpec};
use crate::auth::Role;

/// Articles of the knowledge base: title, topic, tags, problem, solution.
#[rustfmt::skip]
const ARTICLES: &[(&str, &str, &str, &str, &str)] = &[
    ("Olvidé mi contraseña del SIAGIE", "acceso", "contraseña,acceso,correo",
     "No recuerdo mi contraseña y no puedo ingresar al SIAGIE.",
     "En la pantalla de inicio elija «¿Olvidó su contraseña?», escriba su usuario y abra el enlace que llega a su correo (vence en una hora). Si su cuenta no tiene correo, pida al director de su IE que restablezca la contraseña desde Altas y bajas."),
    ("Mi cuenta está bloqueada por intentos fallidos", "acceso", "bloqueo,contraseña,intentos",
     "El sistema dice «Demasiados intentos fallidos» y no me deja ingresar.",
     "Tras cinco intentos fallidos la cuenta queda bloqueada 15 minutos. Espere ese tiempo y vuelva a intentar; si no recuerda la contraseña, recupérela con el enlace por correo en lugar de seguir probando."),
    ("El registro de asistencia del mes no se puede cerrar", "asistencia", "registro,cierre,asistencia",
     "Al cerrar el registro mensual aparece «El registro no está completo».",
     "Revise los días académicos sin marcas: cada estudiante activo debe tener una marca en cada día académico. Complete las celdas vacías desde el registro web o sincronice las tabletas pendientes y vuelva a cerrar."),
    ("Cómo corregir un registro de asistencia ya cerrado", "asistencia", "modificación excepcional,registro cerrado",
     "Cerré el registro del mes y encontré un error en la asistencia de un estudiante.",
     "Un registro cerrado solo cambia mediante una modificación excepcional: el director la solicita con el motivo, el especialista del nivel de la UGEL opina y el Especialista SIAGIE UGEL la habilita por un plazo."),
    ("Registrar el traslado de un estudiante a otra IE", "traslados", "traslado,matrícula,IE de destino",
     "Un estudiante se trasladó a otra institución educativa y sigue apareciendo en mi nómina.",
     "En la nómina de la sección cambie el estado de la matrícula a «trasladado» con la fecha del traslado. La IE de destino podrá matricularlo desde esa fecha; su asistencia y calificaciones anteriores se conservan."),
    ("La IE de destino no puede matricular a un estudiante trasladado", "traslados", "traslado,matriculado en otra sección",
     "Al matricular aparece «El estudiante ya está matriculado en otra sección este año».",
     "La IE de origen debe registrar primero el traslado. Comuníquese con su director o, si no responde, registre un ticket con el código modular de ambas IE para que la UGEL lo revise."),
    ("Importar la nómina de matrícula desde un archivo", "matricula", "nómina,importar,CSV,Excel",
     "Quiero cargar a todos los estudiantes de una sección de una vez.",
     "Guarde la hoja como CSV (UTF-8) con las columnas documento, apellido_paterno, apellido_materno, nombres, fecha_nacimiento, sexo y fecha_matricula. Si alguna fila tiene errores no se registra ningún estudiante: corrija las filas que indica el sistema y vuelva a enviar."),
    ("La nómina se rechaza por un DNI no válido", "matricula", "DNI,nómina,importar",
     "Al importar la nómina aparece un error en la columna documento.",
     "El DNI tiene 8 dígitos; no escriba puntos ni espacios y conserve los ceros iniciales (en Excel, dé formato de texto a la columna). Para estudiantes sin DNI use el código del estudiante."),
    ("El acta de evaluación no se puede cerrar", "evaluacion", "acta,cierre,calificaciones",
     "Al cerrar el acta consolidada aparece «El acta no está completa».",
     "Cada estudiante debe tener calificación en todas las áreas y su situación final registrada. El detalle del error lista lo que falta; complete las calificaciones y situaciones y vuelva a cerrar."),
    ("Un docente no puede registrar calificaciones de un área", "evaluacion", "calificaciones,docente,área",
     "El docente ve el mensaje «No tiene asignada esa área curricular en la sección».",
     "El director asigna a cada docente las áreas que califica en la sección. Si el docente debe calificar todas las áreas, deje su lista de áreas vacía."),
    ("La tableta no sincroniza la asistencia", "asistencia", "tableta,sincronización,sin conexión",
     "Las marcas tomadas sin conexión no aparecen en el registro web.",
     "Conecte la tableta a internet y abra la aplicación con la misma cuenta con que tomó la asistencia: las marcas se envían solas. Si la tableta fue dada de baja por la dirección, solicite que la habiliten antes de sincronizar."),
    ("Solicitar el alta de un nuevo docente", "altas_bajas", "alta,usuario,docente",
     "Llegó un docente nuevo y necesita una cuenta en el SIAGIE.",
     "El director registra al docente como personal de la IE y luego le crea el usuario desde Altas y bajas; la contraseña temporal se muestra una sola vez y el docente debe cambiarla al ingresar."),
];

/// A demo ticket: requester, topic, comment, final state, level, priority, days ago.
type Spec = (
    &'static str,
    &'static str,
    &'static str,
    TicketState,
    i16,
    i16,
    i64,
);

#[rustfmt::skip]
const TICKETS: &[Spec] = &[
    ("director.demo", "acceso", "No puedo ingresar: el sistema dice que mi contraseña es incorrecta aunque la acabo de cambiar.", TicketState::Nuevo, 1, 3, 0),
    ("docente.demo", "asistencia", "La tableta no sincroniza las marcas de asistencia del lunes.", TicketState::Nuevo, 1, 3, 0),
    ("jaen.demo", "matricula", "No puedo importar la nómina: dice que hay un DNI no válido en la fila 12.", TicketState::Nuevo, 1, 2, 1),
    ("pronoei.demo", "altas_bajas", "Necesito dar de alta a una nueva promotora educativa comunitaria.", TicketState::Nuevo, 1, 2, 1),
    ("secundaria.demo", "evaluacion", "El acta de quinto grado no se puede cerrar: faltan calificaciones que sí registramos.", TicketState::EnAtencion, 1, 4, 2),
    ("director.demo", "asistencia", "El registro de mayo no se puede cerrar, dice que faltan días académicos.", TicketState::EnAtencion, 1, 3, 2),
    ("jaen.demo", "traslados", "Un estudiante trasladado desde otra UGEL no aparece para matricularlo.", TicketState::EnAtencion, 1, 3, 3),
    ("docente.demo", "evaluacion", "No tengo asignada el área de Comunicación pero soy el docente de aula.", TicketState::EsperandoUsuario, 1, 2, 3),
    ("pronoei.demo", "acceso", "No me llega el correo para recuperar la contraseña.", TicketState::EsperandoUsuario, 1, 3, 4),
    ("director.demo", "traslados", "La IE de origen no registra el traslado de una estudiante y no puedo matricularla.", TicketState::Escalado, 2, 3, 4),
    ("jaen.demo", "matricula", "La sección de segundo grado aparece duplicada en el año académico.", TicketState::Escalado, 2, 4, 5),
    ("secundaria.demo", "certificados", "El certificado de estudios muestra un área que no corresponde al año 2018.", TicketState::Escalado, 3, 3, 6),
    ("director.demo", "evaluacion", "Necesito corregir una calificación del acta cerrada del año pasado.", TicketState::EnAtencion, 2, 3, 6),
    ("jaen.demo", "otros", "El calendario de la UGEL no muestra el feriado regional.", TicketState::EnAtencion, 3, 2, 7),
    ("docente.demo", "acceso", "Olvidé mi contraseña y no tengo correo registrado.", TicketState::Resuelto, 1, 3, 2),
    ("director.demo", "matricula", "¿Cómo importo la nómina desde Excel?", TicketState::Resuelto, 1, 2, 3),
    ("jaen.demo", "asistencia", "El registro de abril no cierra por un estudiante retirado.", TicketState::Resuelto, 2, 3, 4),
    ("pronoei.demo", "evaluacion", "¿Los PRONOEI registran actas de evaluación?", TicketState::Cerrado, 1, 1, 10),
    ("secundaria.demo", "acceso", "Mi cuenta quedó bloqueada después de varios intentos.", TicketState::Cerrado, 1, 3, 12),
    ("director.demo", "altas_bajas", "La solicitud de alta de la subdirectora sigue pendiente.", TicketState::Cerrado, 2, 3, 14),
    ("jaen.demo", "traslados", "El traslado de un estudiante quedó con fecha equivocada.", TicketState::Cerrado, 3, 4, 20),
    ("docente.demo", "asistencia", "Las marcas del viernes aparecen duplicadas.", TicketState::Reabierto, 1, 3, 5),
    ("director.demo", "acceso", "No puedo ingresar: el sistema dice que mi contraseña es incorrecta.", TicketState::Fusionado, 1, 3, 0),
    ("jaen.demo", "otros", "Prueba de registro, por favor ignorar.", TicketState::Anulado, 1, 1, 8),
    ("secundaria.demo", "matricula", "No aparece el botón para matricular en primer grado.", TicketState::Nuevo, 1, 3, 0),
    ("pronoei.demo", "asistencia", "¿Cómo registro la asistencia de los niños que llegan tarde?", TicketState::Resuelto, 1, 1, 6),
    ("director.demo", "certificados", "Un padre de familia solicita el certificado de estudios de su hijo.", TicketState::Cerrado, 1, 2, 9),
    ("jaen.demo", "evaluacion", "El área de Inglés no aparece en el acta de primaria.", TicketState::EnAtencion, 1, 2, 1),
];

/// An entry of a demo ticket's log: kind, state after, level, minutes after filing, reason, actor.
type DemoStep = (
    EventKind,
    TicketState,
    i16,
    i64,
    Option<&'static str>,
    Option<i64>,
);

const RESOLUTION: &str =
    "Se orientó al usuario paso a paso y confirmó que el procedimiento funcionó.";

/// Loads the help desk's demo data into the demo world's transaction.
pub async fn load(db: &impl ConnectionTrait, hash: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
    if !schema_has_helpdesk(db).await? {
        // A demo world loaded into an earlier schema (as the upgrade tests do) has no help desk.
        return Ok(());
    }
    let dre = entity::dre::Entity::find()
        .one(db)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo world has no DRE"))?;
    let spec = |username, dni, names, email, role, dre_id| AccountSpec {
        username,
        dni,
        names,
        email,
        role,
        dre_id,
        ugel_id: None,
        school_id: None,
        level: None,
    };
    for account in [
        spec(
            "especialista.demo",
            "40000091",
            ("Gutiérrez", "Soto", "Miriam Elena"),
            Some("especialista.demo@siagie.local"),
            Role::MineduSpecialist,
            None,
        ),
        spec(
            "dre.demo",
            "40000092",
            ("Chávez", "Bazán", "Wilder"),
            Some("dre.demo@siagie.local"),
            Role::DreSpecialist,
            Some(dre.id),
        ),
        spec(
            "agente2.demo",
            "40000093",
            ("Ramos", "Quispe", "Lucía"),
            Some("agente2.demo@siagie.local"),
            Role::HelpdeskAgent,
            None,
        ),
    ] {
        world::create_account(db, account, hash).await?;
    }

    // The DRE's regional holidays (Carnaval de Cajamarca, Monday and Tuesday before Ash
    // Wednesday): its N2 clocks skip them, the national ones do not.
    let this_year = now.with_timezone(&crate::time::LIMA).year();
    for year in [this_year, this_year + 1] {
        let easter = crate::time::peru::easter(year);
        for (days_before, name) in [(48, "Lunes de Carnaval"), (47, "Martes de Carnaval")] {
            entity::helpdesk_holiday::ActiveModel {
                date: Set(easter - Duration::days(days_before)),
                dre_id: Set(Some(dre.id)),
                description: Set(format!("{name} (feriado regional de Cajamarca)")),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }

    let users: HashMap<String, user_account::Model> = user_account::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.username.clone(), u))
        .collect();
    let id = |name: &str| users.get(name).map(|u| u.id);
    let agent = id("agente.demo").ok_or_else(|| anyhow::anyhow!("no agente.demo"))?;
    let topics: HashMap<String, i64> = helpdesk_topic::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.code, t.id))
        .collect();

    for (title, topic, tags, problem, solution) in ARTICLES {
        helpdesk_article::ActiveModel {
            title: Set((*title).into()),
            problem: Set((*problem).into()),
            solution: Set((*solution).into()),
            topic_id: Set(topics.get(*topic).copied()),
            tags: Set((*tags).into()),
            state: Set(ArticleState::Publicado),
            source_ticket_id: Set(None),
            author_id: Set(agent),
            helpful: Set(0),
            not_helpful: Set(0),
            deflections: Set(0),
            created_at: Set(now),
            updated_at: Set(now),
            published_at: Set(Some(now)),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }

    let staffed: Vec<i64> = entity::role_assignment::Entity::find()
        .filter(entity::role_assignment::Column::Role.eq(Role::UgelSpecialist.code()))
        .filter(entity::role_assignment::Column::Active.eq(true))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|a| a.ugel_id)
        .collect();
    let year = now.with_timezone(&crate::time::LIMA).year();
    let mut first_of_merge: Option<i64> = None;
    for (n, &(requester, topic, comment, state, level, priority, days_ago)) in
        TICKETS.iter().enumerate()
    {
        let Some(user) = users.get(requester) else {
            continue;
        };
        let person = person::Entity::find_by_id(user.person_id).one(db).await?;
        let school = match world_school(db, user.id).await? {
            Some(id) => school::Entity::find_by_id(id).one(db).await?,
            None => None,
        };
        let ugel_id = school.as_ref().map(|s| s.ugel_id);
        let dre_id = match ugel_id {
            Some(u) => ugel::Entity::find_by_id(u).one(db).await?.map(|u| u.dre_id),
            None => None,
        };
        // N2 is the UGEL's specialist where the UGEL has one (San Ignacio), else the DRE's.
        let n2 = if ugel_id.is_some_and(|u| staffed.contains(&u)) {
            N2Unit::Ugel
        } else {
            N2Unit::Dre
        };
        let filed = now - Duration::days(days_ago) - Duration::hours(2 + n as i64 % 5);
        let resolved = matches!(state, TicketState::Resuelto | TicketState::Cerrado);
        let worked = !matches!(state, TicketState::Nuevo | TicketState::Anulado);
        let assignee = match (state, level) {
            (
                TicketState::EnAtencion | TicketState::EsperandoUsuario | TicketState::Reabierto,
                1,
            ) => Some(agent),
            (TicketState::EnAtencion, 2) => match n2 {
                N2Unit::Ugel => id("ugel.demo"),
                N2Unit::Dre => id("dre.demo"),
            },
            (TicketState::EnAtencion, 3) => id("especialista.demo"),
            _ => None,
        };
        let ticket = helpdesk_ticket::ActiveModel {
            number: Set(format!("ISOS-{year}-{:06}", n + 1)),
            requester_id: Set(user.id),
            school_id: Set(school.as_ref().map(|s| s.id)),
            ugel_id: Set(ugel_id),
            dre_id: Set(dre_id),
            codigo_modular: Set(school.as_ref().map(|s| s.codigo_modular.clone())),
            email: Set(person
                .and_then(|p| p.email)
                .unwrap_or_else(|| format!("{requester}@siagie.local"))),
            cell_phone: Set(format!("9{:08}", 51_234_000 + n)),
            extension: Set(None),
            topic_id: Set(topics.get(topic).copied().unwrap_or(1)),
            comment: Set(comment.into()),
            error_code: Set(None),
            request_id: Set(None),
            state: Set(state),
            level: Set(ticket_level(level)),
            reached_level: Set(ticket_level(level)),
            n2_unit: Set((level == 2).then_some(n2)),
            reached_ugel: Set(level >= 2 && n2 == N2Unit::Ugel),
            reached_dre: Set(level >= 3 || (level == 2 && n2 == N2Unit::Dre)),
            assignee_id: Set(assignee),
            owner_id: Set(worked.then_some(agent)),
            impact: Set(Severity::Media),
            urgency: Set(Severity::Media),
            priority: Set(Priority::from_number(priority).unwrap_or(Priority::Media)),
            resolution: Set(resolved.then(|| RESOLUTION.to_owned())),
            merged_into: Set(if state == TicketState::Fusionado {
                first_of_merge
            } else {
                None
            }),
            rating: Set((state == TicketState::Cerrado).then_some(4 + (n % 2) as i16)),
            rating_comment: Set(None),
            created_at: Set(filed),
            updated_at: Set(filed + Duration::hours(1)),
            level_since: Set(filed + Duration::minutes(if level > 1 { 45 } else { 0 })),
            first_response_at: Set(worked.then(|| filed + Duration::minutes(30))),
            resolved_at: Set(resolved.then(|| filed + Duration::hours(3))),
            closed_at: Set((state == TicketState::Cerrado).then(|| filed + Duration::days(1))),
            ..Default::default()
        }
        .insert(db)
        .await?;
        if n == 0 {
            first_of_merge = Some(ticket.id);
        }
        let mut steps: Vec<DemoStep> = vec![(
            EventKind::Filed,
            TicketState::Nuevo,
            1,
            0,
            None,
            Some(user.id),
        )];
        if worked {
            steps.push((
                EventKind::Taken,
                TicketState::EnAtencion,
                1,
                20,
                None,
                Some(agent),
            ));
        }
        if level >= 2 {
            steps.push((
                EventKind::Escalated,
                TicketState::Escalado,
                2,
                45,
                Some("Requiere revisar datos de la IE en la UGEL."),
                Some(agent),
            ));
        }
        if level >= 3 {
            // To N3 through the DRE's stage, as escalation goes.
            if n2 == N2Unit::Ugel {
                steps.push((
                    EventKind::Escalated,
                    TicketState::Escalado,
                    2,
                    70,
                    Some("Requiere la revisión de la DRE."),
                    id("ugel.demo"),
                ));
            }
            steps.push((
                EventKind::Escalated,
                TicketState::Escalado,
                3,
                90,
                Some("Requiere corrección de datos en MINEDU."),
                id("dre.demo"),
            ));
        }
        let last = match state {
            TicketState::EsperandoUsuario => Some((EventKind::Waiting, 100)),
            TicketState::EnAtencion if level > 1 => Some((EventKind::Taken, 100)),
            TicketState::Resuelto => Some((EventKind::Resolved, 180)),
            TicketState::Cerrado => Some((EventKind::Closed, 1440)),
            TicketState::Reabierto => Some((EventKind::Reopened, 300)),
            TicketState::Fusionado => Some((EventKind::Merged, 60)),
            TicketState::Anulado => Some((EventKind::Annulled, 60)),
            _ => None,
        };
        if let Some((kind, minutes)) = last {
            if state == TicketState::Cerrado {
                steps.push((
                    EventKind::Resolved,
                    TicketState::Resuelto,
                    level,
                    180,
                    None,
                    Some(agent),
                ));
            }
            let reason = match state {
                TicketState::Fusionado => Some("Duplicado del primer ticket del mismo director."),
                TicketState::Anulado => Some("Ticket de prueba."),
                _ => None,
            };
            let actor = if matches!(state, TicketState::Cerrado | TicketState::Reabierto) {
                Some(user.id)
            } else {
                Some(agent)
            };
            steps.push((kind, state, level, minutes, reason, actor));
        }
        let mut previous = None;
        // The N2 stage after each entry: the first at N2, then the DRE's after an escalation
        // within N2.
        let mut stage: Option<N2Unit> = None;
        for (kind, to, level, minutes, reason, actor) in steps {
            stage = match (level, stage) {
                (2, None) => Some(n2),
                (2, Some(_)) if kind == EventKind::Escalated => Some(N2Unit::Dre),
                (2, kept) => kept,
                _ => stage,
            };
            helpdesk_event::ActiveModel {
                ticket_id: Set(ticket.id),
                at: Set(filed + Duration::minutes(minutes)),
                actor_id: Set(actor),
                kind: Set(kind),
                from_state: Set(previous),
                to_state: Set(to),
                level: Set(ticket_level(level)),
                n2_unit: Set(stage.filter(|_| level == 2)),
                reason: Set(reason.map(Into::into)),
                ..Default::default()
            }
            .insert(db)
            .await?;
            previous = Some(to);
        }
        if worked {
            let message = |author, internal, body: &str, minutes| helpdesk_message::ActiveModel {
                ticket_id: Set(ticket.id),
                author_id: Set(author),
                internal: Set(internal),
                body: Set(body.into()),
                created_at: Set(filed + Duration::minutes(minutes)),
                ..Default::default()
            };
            message(
                agent,
                false,
                "Buenos días, estamos revisando su consulta.",
                30,
            )
            .insert(db)
            .await?;
            message(
                agent,
                true,
                "Revisé la IE en el registro: los datos coinciden con la ficha.",
                35,
            )
            .insert(db)
            .await?;
            if state == TicketState::EsperandoUsuario {
                message(
                    agent,
                    false,
                    "¿Podría indicarnos el DNI del estudiante y la sección?",
                    100,
                )
                .insert(db)
                .await?;
            }
        }
    }
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "INSERT INTO helpdesk_counter (year, last) VALUES ($1, $2)",
        [year.into(), (TICKETS.len() as i64).into()],
    ))
    .await?;
    Ok(())
}

/// The IE a demo account works in, if any.
async fn world_school(db: &impl ConnectionTrait, user_id: i64) -> anyhow::Result<Option<i64>> {
    Ok(entity::role_assignment::Entity::find()
        .filter(entity::role_assignment::Column::UserId.eq(user_id))
        .filter(entity::role_assignment::Column::SchoolId.is_not_null())
        .one(db)
        .await?
        .and_then(|a| a.school_id))
}

/// Whether the help desk's tables exist, asked without an error that would abort the transaction.
async fn schema_has_helpdesk(db: &impl ConnectionTrait) -> anyhow::Result<bool> {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "SELECT CAST(COUNT(*) AS BIGINT) FROM information_schema.tables WHERE table_name = 'helpdesk_topic'"
        }
        _ => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'helpdesk_topic'",
    };
    let row = db
        .query_one_raw(Statement::from_string(backend, sql))
        .await?;
    Ok(row
        .and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(0)
        > 0)
}

/// A demo level, as the tables above write it (1 to 3).
fn ticket_level(level: i16) -> TicketLevel {
    TicketLevel::from_number(level).unwrap_or(TicketLevel::N3)
}

#[cfg(test)]
mod tests {
    #[test]
    fn carnival_falls_48_and_47_days_before_easter() {
        // Easter 2026: 5 April (carnival 16–17 February); 2027: 28 March (8–9 February).
        assert_eq!(
            Some(crate::time::peru::easter(2026)),
            chrono::NaiveDate::from_ymd_opt(2026, 4, 5)
        );
        assert_eq!(
            Some(crate::time::peru::easter(2027)),
            chrono::NaiveDate::from_ymd_opt(2027, 3, 28)
        );
    }
}
