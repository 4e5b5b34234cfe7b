// Starting and stopping OpenTelemetry's SDK. This module itself loads nothing of it: the SDK, its
// exporters and the PostgreSQL instrumentation are imported only once tracing is configured.
import { context, propagation, trace } from '@opentelemetry/api';
import { setTracingOn, tracingOn } from './index.js';

type Env = Record<string, string | undefined>;

/**
 * Whether the environment asks for traces: an OTLP endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT`
 * or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), and neither `OTEL_SDK_DISABLED=true` nor
 * `OTEL_TRACES_EXPORTER=none` says otherwise.
 */
export function tracingConfigured(env: Env = process.env): boolean {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!endpoint) return false;
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((name) => name.trim().toLowerCase());
  return !exporters.includes('none');
}

/** Whether `OTEL_SERVICE_NAME` or `OTEL_RESOURCE_ATTRIBUTES` name the service already. */
function serviceNamed(env: Env): boolean {
  if (env.OTEL_SERVICE_NAME?.trim()) return true;
  return (env.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',').some((pair) => pair.split('=', 1)[0]?.trim() === 'service.name');
}

export interface Tracing {
  /** Exports what is still buffered and stops; the process is untraced again after. */
  stop(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK for traces when the environment configures it (see
 * `tracingConfigured`), else does nothing and loads nothing. Everything else comes from the
 * standard `OTEL_*` variables, read by the SDK itself: the exporter's protocol
 * (`OTEL_EXPORTER_OTLP_PROTOCOL`: `http/protobuf` by default, `http/json`, `grpc`), headers and
 * time-out, the sampler (`OTEL_TRACES_SAMPLER`), the propagators (`OTEL_PROPAGATORS`), the batch
 * processor's delays and the resource (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`).
 * `serviceName` is the service name when neither of those names one.
 *
 * Start it before the first database connection is made: PostgreSQL's client is instrumented as
 * `knex` loads it for a new pool. Traces only: metrics stay Prometheus's (`/metrics`) and logs
 * stay on stdout, so no OTLP metrics or logs are sent.
 */
export async function startTracing(options: { serviceName: string; env?: Env }): Promise<Tracing | undefined> {
  const env = options.env ?? process.env;
  if (!tracingConfigured(env)) return undefined;
  if (tracingOn()) throw new Error('Tracing is already started in this process');
  const [{ NodeSDK }, { PgInstrumentation }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-pg'),
  ]);
  // With OTEL_SEMCONV_STABILITY_OPT_IN=database/dup the text is under its older name too.
  const alsoOldName = /(^|,)\s*database\/dup\s*(,|$)/.test(env.OTEL_SEMCONV_STABILITY_OPT_IN ?? '');
  const instrumentations = [
    new PgInstrumentation({
      // Statements only within a trace (a request's, an event's): the relay's and the pools' polling start none.
      requireParentSpan: true,
      // knex sends statements with their values written in: the text is kept without them.
      requestHook: (span, { query }) => {
        const text = sanitizeSql(query.text);
        span.setAttribute('db.query.text', text);
        if (alsoOldName) span.setAttribute('db.statement', text);
      },
    }),
  ];
  const sdk = new NodeSDK({
    ...(serviceNamed(env) ? {} : { serviceName: options.serviceName }),
    instrumentations,
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  setTracingOn(true);
  let stopping: Promise<void> | undefined;
  return {
    stop() {
      stopping ??= (async () => {
        setTracingOn(false);
        try {
          await sdk.shutdown();
        } finally {
          for (const instrumentation of instrumentations) instrumentation.disable();
          // Back to the API's no-op state, so the SDK could be started again (tests do).
          trace.disable();
          propagation.disable();
          context.disable();
        }
      })();
      return stopping;
    },
  };
}

/**
 * A statement's text with every literal replaced by `?` — quoted strings (`'…'`, `E'…'`, dollar
 * quoting) and numbers — so a trace never holds the values written (e-mail addresses, names,
 * hashes, settings). Quoted identifiers (`"…"`) and comments stay as they are.
 */
export function sanitizeSql(text: string): string {
  let out = '';
  let i = 0;
  const isWord = (char: string | undefined) => char !== undefined && /[A-Za-z0-9_$]/.test(char);
  while (i < text.length) {
    const char = text[i]!;
    if (char === '"') {
      const end = text.indexOf('"', i + 1);
      const stop = end === -1 ? text.length : end + 1;
      out += text.slice(i, stop);
      i = stop;
    } else if (char === "'" || ((char === 'E' || char === 'e') && text[i + 1] === "'" && !isWord(text[i - 1]))) {
      // A string literal: '' is a quote inside it; with E, a backslash escapes the next character.
      const escapes = char !== "'";
      i += escapes ? 2 : 1;
      while (i < text.length) {
        if (escapes && text[i] === '\\') i += 2;
        else if (text[i] === "'" && text[i + 1] === "'") i += 2;
        else if (text[i] === "'") {
          i += 1;
          break;
        } else i += 1;
      }
      out += '?';
    } else if (char === '$' && !isWord(text[i - 1])) {
      // A dollar-quoted string ($$…$$, $tag$…$tag$); a parameter ($1) is kept.
      const tag = /^\$[A-Za-z_]*\$/.exec(text.slice(i))?.[0];
      const end = tag ? text.indexOf(tag, i + tag.length) : -1;
      if (tag && end !== -1) {
        out += '?';
        i = end + tag.length;
      } else {
        out += char;
        i += 1;
      }
    } else if (/[0-9]/.test(char) && !isWord(text[i - 1])) {
      const number = /^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(text.slice(i))![0];
      out += '?';
      i += number.length;
    } else if (char === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      out += text.slice(i, stop);
      i = stop;
    } else {
      out += char;
      i += 1;
    }
  }
  return out;
}
