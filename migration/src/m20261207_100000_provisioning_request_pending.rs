//! One pending request per person, role and unit: a second alta (or baja) filed while the first
//! waits for its decision is refused, whichever server takes it. The unit's columns may be NULL
//! (a UGEL's specialist has no IE), so the index compares them through `COALESCE`: two NULLs are
//! the same unit here, as a person reads them. Requests already filed twice keep the first
//! pending; the later ones are declined with the reason.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Requests filed twice before the rule: the first stays pending, the later ones are
        // declined saying why (their requesters see it on the request).
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE provisioning_request SET status = 'rejected', \
                 decision_reason = 'Solicitud repetida: una anterior igual espera su decisión.' \
                 WHERE status = 'pending' AND id NOT IN (\
                   SELECT MIN(id) FROM provisioning_request WHERE status = 'pending' \
                   GROUP BY kind, dni, role, COALESCE(dre_id, 0), COALESCE(ugel_id, 0), \
                            COALESCE(school_id, 0), COALESCE(level, ''))",
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ix_provisioning_request_pending ON provisioning_request \
                 (kind, dni, role, COALESCE(dre_id, 0), COALESCE(ugel_id, 0), \
                  COALESCE(school_id, 0), COALESCE(level, '')) \
                 WHERE status = 'pending'",
            )
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX ix_provisioning_request_pending")
            .await
            .map(|_| ())
    }
}
