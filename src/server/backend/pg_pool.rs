//! A small PostgreSQL connection pool: at most `size` connections, idle ones reused,
//! closed ones dropped.

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio_postgres::{Client, NoTls};

use crate::server::error::BackendError;

/// The pool.
pub struct Pool {
    config: tokio_postgres::Config,
    idle: Mutex<Vec<Client>>,
    permits: Semaphore,
}

/// A connection borrowed from the pool; returned when dropped.
pub struct Conn<'a> {
    client: Option<Client>,
    pool: &'a Pool,
    _permit: SemaphorePermit<'a>,
}

impl Pool {
    /// A pool for `url` of at most `size` connections.
    pub fn new(url: &str, size: usize) -> Result<Self, BackendError> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| BackendError::storage(format!("'{url}' is not a PostgreSQL URL: {e}")))?;
        Ok(Self {
            config,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(size.max(1)),
        })
    }

    /// A connection (waiting while all are in use).
    pub async fn get(&self) -> Result<Conn<'_>, BackendError> {
        let permit = self.permits.acquire().await.map_err(BackendError::storage)?;
        let reused = {
            let mut idle = self.idle.lock().map_err(|_| BackendError::storage("pool poisoned"))?;
            let mut found = None;
            while let Some(c) = idle.pop() {
                if !c.is_closed() {
                    found = Some(c);
                    break;
                }
            }
            found
        };
        let client = match reused {
            Some(c) => c,
            None => {
                let (client, connection) = self
                    .config
                    .connect(NoTls)
                    .await
                    .map_err(|e| BackendError::storage(format!("cannot connect to PostgreSQL: {e}")))?;
                tokio::spawn(async move {
                    let _ = connection.await;
                });
                client
            }
        };
        Ok(Conn {
            client: Some(client),
            pool: self,
            _permit: permit,
        })
    }
}

impl Deref for Conn<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client
            .as_ref()
            .unwrap_or_else(|| unreachable!("a pooled connection is present until dropped"))
    }
}

impl DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client
            .as_mut()
            .unwrap_or_else(|| unreachable!("a pooled connection is present until dropped"))
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.client.take().filter(|c| !c.is_closed())
            && let Ok(mut idle) = self.pool.idle.lock()
        {
            idle.push(c);
        }
    }
}
