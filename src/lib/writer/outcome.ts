// What an HTTP answer from the remote means for the lines in the request. The classes follow InfluxDB's
// replication writer, with one difference: data errors are isolated by bisection instead of dropping the batch.

export type Outcome = 'ok' | 'retryable' | 'too-large' | 'data' | 'config';

/**
 * Classifies a write's status code; 0 stands for a network error or timeout (no answer at all).
 * Anything we cannot explain is treated as a configuration problem: never dropped, retried with backoff.
 */
export function classifyStatus(status: number): Outcome {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 0 || status === 408 || status === 429 || status >= 500) return 'retryable';
  if (status === 413) return 'too-large';
  // 400: unparsable line, field type conflict, or InfluxDB 1.x "partial write"; 422: points outside retention.
  if (status === 400 || status === 422) return 'data';
  // 401/403/404 (token, permission, bucket or database) and surprises such as 3xx or 405 (a wrong URL).
  return 'config';
}
