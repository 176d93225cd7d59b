//! Where each section sits: its IE (with UGEL and DRE) and its academic year. Sections, IEs and
//! academic years are created and never changed, so each server keeps what it has read and a
//! tablet's upload does not look them up again.

use std::{
    collections::{HashMap, HashSet, hash_map::Entry},
    sync::{Arc, Mutex},
};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use entity::{academic_year, section};

use crate::{
    auth::Target,
    error::Result,
    registry::{SchoolScope, school_scope},
};

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
        let mut schools: HashMap<i64, SchoolScope> = HashMap::new();
        let mut years: HashMap<i64, academic_year::Model> = HashMap::new();
        let mut loaded = Vec::with_capacity(sections.len());
        for section in sections {
            if let Entry::Vacant(slot) = schools.entry(section.school_id) {
                slot.insert(school_scope(db, section.school_id).await?);
            }
            if let Entry::Vacant(slot) = years.entry(section.academic_year_id) {
                let year = academic_year::Entity::find_by_id(section.academic_year_id)
                    .one(db)
                    .await?
                    .ok_or_else(|| crate::error::ApiError::not_found("el año académico"))?;
                slot.insert(year);
            }
            let scope = &schools[&section.school_id];
            loaded.push(Arc::new(Place {
                school: scope.school.clone(),
                school_target: scope.target,
                year: years[&section.academic_year_id].clone(),
                section,
            }));
        }
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
