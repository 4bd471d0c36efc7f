//! Listing a resource page by page (`limit` and `continue`), never as one giant list: each
//! page is reduced to what is needed before the next is asked for, and a continue token that
//! expired (410) starts the list again, so the result is one consistent snapshot.

use std::fmt::Debug;

use kube::api::{Api, ListParams};
use kube::Resource;
use serde::de::DeserializeOwned;

use crate::error::{Call, K8sError};

/// Objects asked for per page. The API server's own default for `kubectl` is 500.
pub const PAGE_SIZE: u32 = 500;

/// How often an expired list is started again before giving up.
const MAX_RESTARTS: u32 = 5;

/// How often a page the API server could not serve for now (429, 503, 504: throttled,
/// restarting, overloaded) is asked for again, after 0.5 s, 1 s, 2 s: a scan rides out a blip
/// and still fails within seconds, not minutes, when the server stays down.
const MAX_TRANSIENT_RETRIES: u32 = 3;

/// Whether the API server said to come back later.
pub fn transient(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if matches!(s.code, 429 | 503 | 504))
}

/// What a list got.
#[derive(Debug)]
pub struct Listed<T> {
    /// The reduced objects.
    pub items: Vec<T>,
    /// Pages asked for.
    pub pages: u32,
    /// Times the list was started again after its continue token expired.
    pub restarts: u32,
}

/// Every object of `api` matching `params`, reduced by `map`, asked for `page_size` at a
/// time.
pub async fn list_all<K, T>(
    api: &Api<K>,
    params: &ListParams,
    page_size: u32,
    call: Call<'_>,
    mut map: impl FnMut(&K) -> Option<T>,
) -> Result<Listed<T>, K8sError>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    let mut out = Listed {
        items: Vec::new(),
        pages: 0,
        restarts: 0,
    };
    let mut token: Option<String> = None;
    let mut retries = 0;
    loop {
        let mut p = params.clone().limit(page_size);
        if let Some(t) = &token {
            p = p.continue_token(t);
        }
        out.pages += 1;
        match api.list(&p).await {
            Ok(page) => {
                out.items.extend(page.items.iter().filter_map(&mut map));
                match page.metadata.continue_.filter(|c| !c.is_empty()) {
                    Some(c) => token = Some(c),
                    None => return Ok(out),
                }
            }
            Err(kube::Error::Api(s))
                if s.code == 410 && token.is_some() && out.restarts < MAX_RESTARTS =>
            {
                tracing::info!(
                    resource = call.resource,
                    "the list's continue token expired; listing again from the start"
                );
                out.items.clear();
                out.restarts += 1;
                token = None;
            }
            Err(e) if transient(&e) && retries < MAX_TRANSIENT_RETRIES => {
                let wait = std::time::Duration::from_millis(500 << retries);
                tracing::info!(resource = call.resource, error = %e, "retrying in {wait:?}");
                retries += 1;
                out.pages -= 1;
                tokio::time::sleep(wait).await;
            }
            Err(e) => return Err(call.error(e)),
        }
    }
}
