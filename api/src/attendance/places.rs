//! Where each section sits: its IE (with UGEL and DRE) and its academic year. Sections, IEs and
//! academic years are created and never changed, so each server keeps what it has read and a
//! tablet's upload does not look them up again.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use entity::{academic_year, school, section, ugel};

use crate::{auth::policy::Target, error::Result, registry::repo::SchoolScope};

/// At most this many sections are kept (about 40 MB); past it the memory starts over.
const CAPACITY: usize = 100_000;

/// A section, its IE and its academic year.
#[derive(Debug)]
pub struct Place {
    pub section: section::Model,
    pub school: entity::school::Model,
    /// The IE as an authorization target (with its UGEL and DRE).
    pub school_target: Target,
    pub year: academic_year::Model,
}

/// The places read so far, shared by the handlers of one server.
#[derive(Clone, Default)]
pub struct Places(Arc<Mutex<HashMap<i64, Arc<Place>>>>);

impl Places {
    /// The places of these sections; the unknown ones are read (sections that do not exist are
    /// left out).
    pub async fn of(
        &self,
        db: &impl ConnectionTrait,
        ids: &HashSet<i64>,
    ) -> Result<HashMap<i64, Arc<Place>>> {
        let mut found = HashMap::with_capacity(ids.len());
        let mut missing = Vec::new();
        {
            let kept = self
                .0
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for id in ids {
                match kept.get(id) {
                    Some(place) => {
                        found.insert(*id, place.clone());
                    }
                    None => missing.push(*id),
                }
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        let sections = section::Entity::find()
            .filter(section::Column::Id.is_in(missing))
            .all(db)
            .await?;
        // Their IEs (with UGEL) and years: one query each, whatever the number of sections.
        let school_ids: HashSet<i64> = sections.iter().map(|s| s.school_id).collect();
        let year_ids: HashSet<i64> = sections.iter().map(|s| s.academic_year_id).collect();
        let schools: HashMap<i64, SchoolScope> = school::Entity::find()
            .filter(school::Column::Id.is_in(school_ids))
            .find_also_related(ugel::Entity)
            .all(db)
            .await?
            .into_iter()
            .filter_map(|(school, ugel)| Some((school.id, SchoolScope::new(school, &ugel?))))
            .collect();
        let years: HashMap<i64, academic_year::Model> = academic_year::Entity::find()
            .filter(academic_year::Column::Id.is_in(year_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|y| (y.id, y))
            .collect();
        let loaded: Vec<Arc<Place>> = sections
            .into_iter()
            .filter_map(|section| {
                let scope = schools.get(&section.school_id)?;
                let year = years.get(&section.academic_year_id)?;
                Some(Arc::new(Place {
                    school: scope.school.clone(),
                    school_target: scope.target,
                    year: year.clone(),
                    section,
                }))
            })
            .collect();
        let mut kept = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if kept.len() + loaded.len() > CAPACITY {
            kept.clear();
        }
        for place in loaded {
            kept.insert(place.section.id, place.clone());
            found.insert(place.section.id, place);
        }
        Ok(found)
    }
}
