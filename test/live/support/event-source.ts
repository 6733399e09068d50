// A small EventSource over fetch for the tests (Node 20 has none), following the HTML
// spec where the tests rely on it: `retry:`, `id:` kept as lastEventId and sent back as
// Last-Event-ID on the automatic reconnect, a non-200 answer closes it for good
// (readyState CLOSED + error). `kill()` cuts the connection as a network failure would.
export class FetchEventSource {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  /** Reconnect delay override for tests (ms); the server asks for 1000. */
  static retryMs: number | undefined = 50;

  readyState = FetchEventSource.CONNECTING;
  lastEventId = '';
  /** Status of the last response (for asserting refusals). */
  lastStatus = 0;
  connects = 0;
  readonly url: string;
  #retry = 1000;
  #listeners = new Map<string, Set<(ev: MessageEvent) => void>>();
  #abort: AbortController | undefined;

  readonly #headers: Record<string, string>;

  /** headers: extra request headers (an EventSource cannot send any; other clients can). */
  constructor(url: string, headers: Record<string, string> = {}) {
    this.url = url;
    this.#headers = headers;
    void this.#connect();
  }

  addEventListener(type: string, fn: (ev: MessageEvent) => void): void {
    if (!this.#listeners.has(type)) this.#listeners.set(type, new Set());
    this.#listeners.get(type)!.add(fn);
  }

  #emit(type: string, init: MessageEventInit = {}): void {
    const ev = new MessageEvent(type, init);
    for (const fn of this.#listeners.get(type) ?? []) fn(ev);
  }

  close(): void {
    this.readyState = FetchEventSource.CLOSED;
    this.#abort?.abort();
  }

  /** Drops the connection like a network failure; the source reconnects by itself. */
  kill(): void {
    this.#abort?.abort();
  }

  async #connect(): Promise<void> {
    if (this.readyState === FetchEventSource.CLOSED) return;
    this.connects++;
    const abort = new AbortController();
    this.#abort = abort;
    const headers: Record<string, string> = { ...this.#headers, accept: 'text/event-stream' };
    if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
    let res: Response;
    try {
      res = await fetch(this.url, { headers, signal: abort.signal });
    } catch {
      return this.#reconnect();
    }
    this.lastStatus = res.status;
    if (res.status !== 200 || !res.headers.get('content-type')?.startsWith('text/event-stream')) {
      await res.body?.cancel().catch(() => undefined);
      this.readyState = FetchEventSource.CLOSED;
      this.#emit('error');
      return;
    }
    this.readyState = FetchEventSource.OPEN;
    this.#emit('open');
    const decoder = new TextDecoder();
    let buf = '';
    let data: string[] = [];
    let event = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        for (let nl = buf.search(/\r\n|\n|\r/); nl >= 0; nl = buf.search(/\r\n|\n|\r/)) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + (buf[nl] === '\r' && buf[nl + 1] === '\n' ? 2 : 1));
          if (line === '') {
            if (data.length > 0) {
              this.#emit(event || 'message', { data: data.join('\n'), lastEventId: this.lastEventId });
            }
            data = [];
            event = '';
            continue;
          }
          if (line.startsWith(':')) {
            this.#emit('comment', { data: line.slice(1).trim() });
            continue;
          }
          const i = line.indexOf(':');
          const field = i < 0 ? line : line.slice(0, i);
          const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
          if (field === 'data') data.push(value);
          else if (field === 'event') event = value;
          else if (field === 'id' && !value.includes('\0')) this.lastEventId = value;
          else if (field === 'retry' && /^\d+$/.test(value)) this.#retry = Number(value);
        }
      }
    } catch {
      /* cut */
    }
    return this.#reconnect();
  }

  #reconnect(): void {
    if (this.readyState === FetchEventSource.CLOSED) return;
    this.readyState = FetchEventSource.CONNECTING;
    this.#emit('error');
    setTimeout(() => void this.#connect(), FetchEventSource.retryMs ?? this.#retry);
  }
}
