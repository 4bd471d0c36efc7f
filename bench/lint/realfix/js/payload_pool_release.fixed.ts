// source: https://github.com/payloadcms/payload/pull/16893 ("fix(db-postgres): release connection back to pool in connectWithReconnect")
// label: fixed  item: pooled connection not released
import type { Pool } from "pg";

export async function connectWithReconnect(pool: Pool, onReset: () => void): Promise<void> {
  const client = await pool.connect();
  client.on("error", (err: Error & { code?: string }) => {
    if (err.code === "ECONNRESET") onReset();
  });
  client.release();
}
