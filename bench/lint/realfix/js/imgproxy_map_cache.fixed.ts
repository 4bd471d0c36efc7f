// source: https://github.com/imgproxy/imgproxy-node/pull/10 ("Remove unbounded Map cache to prevent memory leaks")
// label: fixed  item: unbounded cache
import { createHmac } from "crypto";

export function generateImageUrl(url: string, options: Record<string, string>, key: Buffer): string {
  const path = "/" + Object.entries(options).map(([k, v]) => `${k}:${v}`).join("/") + "/" + encodeURIComponent(url);
  return createHmac("sha256", key).update(path).digest("base64url") + path;
}
