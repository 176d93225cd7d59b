//! The demo world: one DRE, two UGELs, seven IEs (one of them a PRONOEI), sections of 15 to 35
//! students, the current academic year's calendar, closed actas of past years (`history`), and one
//! account per role. Every demo account's
//! password is [`DEMO_PASSWORD`].

use chrono::NaiveDate;

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection};

use entity::{dre, ugel};

use super::{
    history,
    names::Lcg,
    world::{self, AccountSpec, SchoolSpec},
};
use crate::{
    auth::{Role, password},
    time::now,
};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "Demo.2026!";

/// Loads the demo world in one transaction, for the academic year of `today`.
pub async fn load(db: &DatabaseConnection, today: NaiveDate) -> anyhow::Result<()> {
    load_with(db, today, true).await
}

/// The demo world without its past actas, nor its people's confirmed e-mails: what a schema from
/// before evaluation can hold (the migration that brings confirmation confirms the addresses it
/// finds).
pub async fn load_without_history(db: &DatabaseConnection, today: NaiveDate) -> anyhow::Result<()> {
    load_with(db, today, false).await
}

async fn load_with(db: &DatabaseConnection, today: NaiveDate, past: bool) -> anyhow::Result<()> {
    let hash = password::hash_blocking(DEMO_PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
    let txn = crate::db::begin(db).await?;
    let at = now();
    let dre = dre::ActiveModel {
        code: Set("DRE-CAJ".into()),
        name: Set("DRE Cajamarca".into()),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let san_ignacio = ugel::ActiveModel {
        dre_id: Set(dre.id),
        code: Set("UGEL-SAN-IGNACIO".into()),
        name: Set("UGEL San Ignacio".into()),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let jaen = ugel::ActiveModel {
        dre_id: Set(dre.id),
        code: Set("UGEL-JAEN".into()),
        name: Set("UGEL Jaén".into()),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let year_number = world::academic_year_of(today);
    let year = world::create_year(&txn, year_number).await?;

    let spec =
        |ugel_id, codigo_modular, name, level, modality, is_pronoei, centro_poblado, district| {
            SchoolSpec {
                ugel_id,
                codigo_modular,
                name,
                level,
                modality,
                is_pronoei,
                centro_poblado,
                district,
            }
        };
    let primaria = world::create_school(
        &txn,
        spec(
            san_ignacio.id,
            "0412345",
            "IE N° 16471 Señor de Huamantanga",
            "primaria",
            "ebr",
            false,
            "Huamantanga",
            "San Ignacio",
        ),
    )
    .await?;
    let secundaria = world::create_school(
        &txn,
        spec(
            san_ignacio.id,
            "0523456",
            "IE San Ignacio de Loyola",
            "secundaria",
            "ebr",
            false,
            "San Ignacio",
            "San Ignacio",
        ),
    )
    .await?;
    let inicial = world::create_school(
        &txn,
        spec(
            san_ignacio.id,
            "0634567",
            "IEI N° 289 Los Angelitos",
            "inicial",
            "ebr",
            false,
            "La Coipa",
            "La Coipa",
        ),
    )
    .await?;
    let pronoei = world::create_school(
        &txn,
        spec(
            san_ignacio.id,
            "1413889",
            "PRONOEI Semillitas de Chirinos",
            "inicial",
            "ebr",
            true,
            "Chirinos",
            "Chirinos",
        ),
    )
    .await?;
    let jaen_primaria = world::create_school(
        &txn,
        spec(
            jaen.id,
            "0745678",
            "IE N° 16003 Cristo Rey",
            "primaria",
            "ebr",
            false,
            "Jaén",
            "Jaén",
        ),
    )
    .await?;
    let ceba = world::create_school(
        &txn,
        spec(
            jaen.id,
            "0856789",
            "CEBA Nuestra Señora de Fátima",
            "secundaria",
            "eba",
            false,
            "Fila Alta",
            "Jaén",
        ),
    )
    .await?;

    let bolognesi = world::create_school(
        &txn,
        spec(
            jaen.id,
            "0967890",
            "IE Francisco Bolognesi",
            "secundaria",
            "ebr",
            false,
            "Jaén",
            "Jaén",
        ),
    )
    .await?;

    let mut rng = Lcg::new(2026);
    let mut next_dni = 70_000_000;
    let mut sections_of = Vec::new();
    for (school, sections, birth_offset) in [
        (&primaria, &[(1, "A"), (1, "B"), (2, "A"), (3, "A")][..], 7),
        (&secundaria, &[(1, "A"), (2, "A")][..], 13),
        (&inicial, &[(3, "ÚNICA"), (4, "ÚNICA")][..], 4),
        (&pronoei, &[(5, "ÚNICA")][..], 5),
        (&jaen_primaria, &[(1, "A"), (2, "A")][..], 7),
        (&ceba, &[(1, "A")][..], 20),
    ] {
        let created = world::create_sections(&txn, school, &year, sections).await?;
        for section in &created {
            let count = rng.between(15, 35);
            world::enroll_generated(
                &txn,
                &mut rng,
                section,
                &year,
                count,
                &mut next_dni,
                year.year - birth_offset,
            )
            .await?;
        }
        sections_of.push(created);
    }

    let account =
        |username, dni, names, email, role, dre_id, ugel_id, school_id, level| AccountSpec {
            username,
            dni,
            names,
            email,
            role,
            dre_id,
            ugel_id,
            school_id,
            level,
        };
    world::create_account(
        &txn,
        account(
            "admin.demo",
            "40000001",
            ("Salazar", "Rivera", "Carmen Rosa"),
            Some("admin.demo@siagie.local"),
            Role::MineduAdmin,
            None,
            None,
            None,
            None,
        ),
        &hash,
    )
    .await?;
    world::create_account(
        &txn,
        account(
            "agente.demo",
            "40000002",
            ("Paredes", "Luna", "Jorge Luis"),
            Some("agente.demo@siagie.local"),
            Role::HelpdeskAgent,
            None,
            None,
            None,
            None,
        ),
        &hash,
    )
    .await?;
    world::create_account(
        &txn,
        account(
            "ugel.demo",
            "40000003",
            ("Huamán", "Tello", "Oscar"),
            Some("ugel.demo@siagie.local"),
            Role::UgelSpecialist,
            None,
            Some(san_ignacio.id),
            None,
            None,
        ),
        &hash,
    )
    .await?;
    world::create_account(
        &txn,
        account(
            "nivel.demo",
            "40000004",
            ("Córdova", "Neyra", "Elena"),
            Some("nivel.demo@siagie.local"),
            Role::LevelSpecialist,
            None,
            Some(san_ignacio.id),
            None,
            Some("primaria"),
        ),
        &hash,
    )
    .await?;
    let (_, secondary_director) = world::create_account(
        &txn,
        account(
            "secundaria.demo",
            "40000009",
            ("Huamán", "Ñañez", "Julia Esther"),
            Some("secundaria.demo@siagie.local"),
            Role::Director,
            None,
            None,
            Some(bolognesi.id),
            None,
        ),
        &hash,
    )
    .await?;
    let (_, primary_director) = world::create_account(
        &txn,
        account(
            "director.demo",
            "40000005",
            ("Guevara", "Cubas", "Wilder"),
            Some("director.demo@siagie.local"),
            Role::Director,
            None,
            None,
            Some(primaria.id),
            None,
        ),
        &hash,
    )
    .await?;
    let (teacher, _) = world::create_account(
        &txn,
        account(
            "docente.demo",
            "40000006",
            ("Tarrillo", "Campos", "Rosa Elvira"),
            None,
            Role::Teacher,
            None,
            None,
            Some(primaria.id),
            None,
        ),
        &hash,
    )
    .await?;
    world::create_account(
        &txn,
        account(
            "pronoei.demo",
            "40000007",
            ("Yupanqui", "Tapia", "Marleni"),
            Some("pronoei.demo@siagie.local"),
            Role::Director,
            None,
            None,
            Some(pronoei.id),
            None,
        ),
        &hash,
    )
    .await?;
    world::create_account(
        &txn,
        account(
            "jaen.demo",
            "40000008",
            ("Llontop", "Delgado", "César"),
            Some("jaen.demo@siagie.local"),
            Role::Director,
            None,
            None,
            Some(jaen_primaria.id),
            None,
        ),
        &hash,
    )
    .await?;
    let first_grade: Vec<i64> = sections_of[0].iter().take(2).map(|s| s.id).collect();
    world::assign_teacher(&txn, teacher.id, &first_grade).await?;

    if past {
        history::load(
            &txn,
            &mut rng,
            &mut next_dni,
            history::Past {
                cohort_school: &bolognesi,
                earlier_school: &secundaria,
                primary_school: &primaria,
                last_year: year.year - 1,
                closed_by: (secondary_director.id, primary_director.id),
            },
        )
        .await?;
    }

    super::helpdesk::load(&txn, &hash, at).await?;
    if past {
        // The demo accounts' owners confirmed their addresses: they recover passwords there.
        txn.execute_unprepared(
            "INSERT INTO confirmed_email (person_id, email, confirmed_at) \
             SELECT p.id, p.email, p.created_at FROM person p WHERE p.email IS NOT NULL \
                 AND EXISTS (SELECT 1 FROM user_account u WHERE u.person_id = p.id)",
        )
        .await?;
    }
    txn.commit().await?;
    Ok(())
}
