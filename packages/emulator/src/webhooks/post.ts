/**
 * One HTTP POST of a delivery: exactly the given bytes, a bounded wait for the status line. Only
 * the status code counts (docs/protocol.md §8.5); the response body is drained and dropped.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface PostResult {
  /** HTTP status, when an answer came. */
  status?: number | undefined;
  /** `timeout`, or the socket error code (`ECONNREFUSED`, …). */
  error?: string | undefined;
}

export class Poster {
  readonly #http = new HttpAgent({ keepAlive: true, maxSockets: 64 });
  readonly #https = new HttpsAgent({ keepAlive: true, maxSockets: 64 });

  post(url: string, body: Buffer, headers: Record<string, string>, timeoutMs: number): Promise<PostResult> {
    return new Promise((resolve) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        resolve({ error: 'EINVALIDURL' });
        return;
      }
      const secure = target.protocol === 'https:';
      let settled = false;
      const finish = (result: PostResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      const req = (secure ? httpsRequest : httpRequest)(target, {
        method: 'POST',
        agent: secure ? this.#https : this.#http,
        headers: { ...headers, 'content-length': String(body.length) },
      });
      const timer = setTimeout(() => {
        finish({ error: 'timeout' });
        req.destroy();
      }, timeoutMs);
      req.on('response', (res) => {
        res.resume();
        finish({ status: res.statusCode });
      });
      req.on('error', (err: NodeJS.ErrnoException) => finish({ error: err.code ?? 'error' }));
      req.end(body);
    });
  }

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}
