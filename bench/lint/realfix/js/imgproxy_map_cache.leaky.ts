// source: https://github.com/imgproxy/imgproxy-node/pull/10 ("Remove unbounded Map cache to prevent memory leaks")
// label: leaky  item: unbounded cache
// Written here after the PR: signed URLs are memoised in a module-level Map keyed by the
// options of each call; in a long-running Next.js server every distinct image adds an entry.
import { createHmac } from "crypto";

const cache = new Map<string, string>();

export function generateImageUrl(url: string, options: Record<string, string>, key: Buffer): string {
  const cacheKey = JSON.stringify({ url, options });
  const hit = cache.get(cacheKey);
  if (hit) return hit;
  const path = "/" + Object.entries(options).map(([k, v]) => `${k}:${v}`).join("/") + "/" + encodeURIComponent(url);
  const signed = createHmac("sha256", key).update(path).digest("base64url") + path;
  cache.set(cacheKey, signed); // LEAK
  return signed;
}
