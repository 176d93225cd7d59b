//! Page-by-page listings.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// `?page=1&per_page=50`.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number, from 1.
    pub page: Option<u64>,
    /// Items per page, 1 to 200 (default 50).
    pub per_page: Option<u64>,
}

impl PageParams {
    pub const MAX_PER_PAGE: u64 = 200;
    /// Far past any listing's end, and far from overflowing an offset.
    pub const MAX_PAGE: u64 = 1_000_000;

    /// (page from 1, items per page), clamped to sensible values; 400 for a page out of range.
    pub fn resolve(self) -> Result<(u64, u64), crate::error::ApiError> {
        let page = self.page.unwrap_or(1).max(1);
        if page > Self::MAX_PAGE {
            return Err(crate::error::ApiError::because(
                crate::error::ErrorCode::InvalidQuery,
                format!("La página debe ser un número entre 1 y {}.", Self::MAX_PAGE),
            ));
        }
        let per_page = self.per_page.unwrap_or(50).clamp(1, Self::MAX_PER_PAGE);
        Ok((page, per_page))
    }
}

impl<T> Page<T> {
    /// Fetches one page of an ordered query, converting each row.
    pub async fn fetch<E, M>(
        db: &sea_orm::DatabaseConnection,
        query: sea_orm::Select<E>,
        params: PageParams,
    ) -> Result<Self, crate::error::ApiError>
    where
        E: sea_orm::EntityTrait<Model = M>,
        M: sea_orm::FromQueryResult + Sized + Send + Sync,
        T: From<M>,
    {
        use sea_orm::PaginatorTrait;
        let (page, per_page) = params.resolve()?;
        let paginator = query.paginate(db, per_page);
        let total = paginator.num_items().await?;
        let items = paginator
            .fetch_page(page - 1)
            .await?
            .into_iter()
            .map(T::from)
            .collect();
        Ok(Self {
            items,
            total,
            page,
            per_page,
        })
    }
}

/// One page of a listing.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Items across all pages.
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

/// A page of a list answered as a plain array, for lists that clients read whole: when `page` or
/// `per_page` is given, only that page, with the whole count in `X-Total-Count`; otherwise all.
pub fn slice<T>(
    items: Vec<T>,
    params: PageParams,
) -> Result<(axum::http::HeaderMap, Vec<T>), crate::error::ApiError> {
    let mut headers = axum::http::HeaderMap::new();
    if params.page.is_none() && params.per_page.is_none() {
        return Ok((headers, items));
    }
    let (page, per_page) = params.resolve()?;
    headers.insert("x-total-count", axum::http::HeaderValue::from(items.len()));
    let start = ((page - 1) * per_page) as usize;
    Ok((
        headers,
        items
            .into_iter()
            .skip(start)
            .take(per_page as usize)
            .collect(),
    ))
}
