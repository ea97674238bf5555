//! Apps as the catalog, their owners and the import API read them: the app rows (`apps`), their current
//! logos (`app_logos`), who has which app enabled (`app_installations`) and the reviews (`app_reviews`); install
//! counts and ratings are counted from the last two when read, so erasing a user takes their part out of them.

mod logos;
mod projection;
mod queries;
mod view;

pub use logos::{AppLogosProjection, Logo};
pub use projection::{AppInstallationsProjection, AppReviewsProjection, AppsProjection};
pub use queries::{
    app, apps_where, enabled_app_ids, enabled_apps, installation, installed_among, logo, records,
    review, reviews, AppStats, AppsFilter, ListedApp,
};
pub use view::{AppKeyRecord, AppRecord, AutoDisabledRecord, InstallationRecord, ReviewRecord};
