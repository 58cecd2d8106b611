// Server-sent events over fetch (no EventSource needed): parses the text/event-stream format.

export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/** Parses an event stream into messages; comments (heartbeats) and `retry` lines are skipped. */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buf = '';
  let data: string[] = [];
  let event = '';
  let id: string | undefined;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      let nl = buf.search(/\r\n|\r|\n/);
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + (buf[nl] === '\r' && buf[nl + 1] === '\n' ? 2 : 1));
        if (line === '') {
          if (data.length > 0) yield { id, event: event || 'message', data: data.join('\n') };
          data = [];
          event = '';
        } else if (!line.startsWith(':')) {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          let value = colon < 0 ? '' : line.slice(colon + 1);
          if (value.startsWith(' ')) value = value.slice(1);
          if (field === 'data') data.push(value);
          else if (field === 'event') event = value;
          else if (field === 'id') id = value;
        }
        nl = buf.search(/\r\n|\r|\n/);
      }
    }
  } finally {
    // not awaited: cancelling an HTTP body may wait for the connection; the caller aborts the request
    reader.cancel().catch(() => undefined);
  }
}
