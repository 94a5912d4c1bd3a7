// The answers InfluxDB gives when it refuses a write: a status and a JSON body {code, message}. The endpoint
// answers with the same shapes so that clients (Telegraf, client libraries) report them as they would
// report InfluxDB's own.

export interface InfluxErrorBody {
  code: string;
  message: string;
}

/** A refusal the endpoint answers itself, before any message is sent into the flow. */
export class WriteRefusal extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'WriteRefusal';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }

  body(): InfluxErrorBody {
    return { code: this.code, message: this.message };
  }
}

export function badRequest(message: string): WriteRefusal {
  return new WriteRefusal(400, 'invalid', message);
}

/** InfluxDB's exact answer to a missing or wrong token (and what 1.x clients expect from /write too). */
export function unauthorized(): WriteRefusal {
  return new WriteRefusal(401, 'unauthorized', 'unauthorized access');
}

export function tooLarge(limitBytes: number): WriteRefusal {
  return new WriteRefusal(413, 'request too large', `request body is larger than the limit of ${limitBytes} bytes`);
}

export function unsupportedEncoding(encoding: string): WriteRefusal {
  return new WriteRefusal(415, 'unsupported media type', `Content-Encoding ${JSON.stringify(encoding)} is not supported: send gzip or identity`);
}
