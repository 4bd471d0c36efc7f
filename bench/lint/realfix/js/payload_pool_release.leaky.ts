// source: https://github.com/payloadcms/payload/pull/16893 ("fix(db-postgres): release connection back to pool in connectWithReconnect")
// label: leaky  item: pooled connection not released
// Written here after the PR's description: a reconnect helper checks a client out of the pool
// to attach an error listener and never releases it, one client per call.
import type { Pool } from "pg";

export async function connectWithReconnect(pool: Pool, onReset: () => void): Promise<void> {
  const client = await pool.connect(); // LEAK
  client.on("error", (err: Error & { code?: string }) => {
    if (err.code === "ECONNRESET") onReset();
  });
}
