// Atrium's tracing, as the code that makes spans sees it: OpenTelemetry's API alone (no SDK), and
// nothing done at all unless `startTracing` (./sdk.ts) has started the SDK. Every helper first
// reads one flag, so while tracing is off — the default — a call, a request or an event costs a
// property read, and no span, context or header is ever made.
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, isSpanContextValid, propagation, trace } from '@opentelemetry/api';
import type { Attributes, Context, Link, Span, SpanOptions } from '@opentelemetry/api';

export { SpanKind };
export type { Attributes, Context, Link, Span };

/**
 * Whether tracing is on, kept on `globalThis` (like the API's own globals) so two copies of this
 * module — a built and a source one, say — agree.
 */
const STATE = Symbol.for('atrium.telemetry.state');
const globals = globalThis as Record<symbol, { on: boolean } | undefined>;
globals[STATE] ??= { on: false };
const state = globals[STATE];

/** Whether spans are being made and exported (the SDK runs). */
export function tracingOn(): boolean {
  return state.on;
}

/** Set by `startTracing` and its `stop` only. */
export function setTracingOn(on: boolean): void {
  state.on = on;
}

/** The W3C Trace Context of a span, as headers (`traceparent`, `tracestate`). */
export type TraceCarrier = Record<string, string>;

export interface StartSpanOptions extends SpanOptions {
  /** The parent; the active context by default. */
  parent?: Context;
  /**
   * Only within a trace already begun: no span without a parent. For what is part of some other
   * work (a call, a publish), never work of its own: a readiness probe's calls start no traces.
   */
  childOnly?: boolean;
}

/** Whether `ctx` holds a valid span context: a parent to be had. */
function inTrace(ctx: Context): boolean {
  const spanContext = trace.getSpanContext(ctx);
  return spanContext !== undefined && isSpanContextValid(spanContext);
}

/** A span of `scope` (the instrumenting package), or undefined while tracing is off. */
export function startSpan(scope: string, name: string, options: StartSpanOptions = {}): Span | undefined {
  if (!state.on) return undefined;
  const parent = options.parent ?? context.active();
  if (options.childOnly && !inTrace(parent)) return undefined;
  return trace.getTracer(scope).startSpan(name, options, parent);
}

/** Runs `fn` with `span` as the active span (so what it starts are its children); just runs it without one. */
export function withSpan<T>(span: Span | undefined, fn: () => T, parent?: Context): T {
  return span ? context.with(trace.setSpan(parent ?? context.active(), span), fn) : fn();
}

/** Marks `span` failed with `error` (an exception event and the error status). */
export function failSpan(span: Span | undefined, error: unknown, type?: string): void {
  if (!span) return;
  const message = error instanceof Error ? error.message : String(error);
  span.recordException(error instanceof Error ? error : message);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  if (type) span.setAttribute('error.type', type);
}

/**
 * Runs `fn` in `span` (when there is one) and ends the span when it settles, failed if it threw.
 * `fn` gets the span to add what it learns.
 */
export async function inSpan<T>(span: Span | undefined, fn: (span: Span | undefined) => Promise<T>, parent?: Context): Promise<T> {
  if (!span) return fn(undefined);
  try {
    return await withSpan(span, () => fn(span), parent);
  } catch (error) {
    failSpan(span, error, (error as { code?: unknown }).code === undefined ? undefined : String((error as { code: unknown }).code));
    throw error;
  } finally {
    span.end();
  }
}

/** `span`'s context as headers to send along (the configured propagators': W3C Trace Context by default). */
export function traceHeaders(span: Span | undefined): TraceCarrier | undefined {
  if (!span) return undefined;
  const carrier: TraceCarrier = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  return carrier;
}

/** The active span's context as headers, or undefined outside a trace (or while tracing is off). */
export function activeTraceHeaders(): TraceCarrier | undefined {
  if (!state.on) return undefined;
  const active = context.active();
  if (!inTrace(active)) return undefined;
  const carrier: TraceCarrier = {};
  propagation.inject(active, carrier);
  return Object.keys(carrier).length > 0 ? carrier : undefined;
}

/**
 * The trace context that headers carry, read through `get` (a NATS message's headers, say); for
 * a parent or a link. Undefined while tracing is off, or when they carry none.
 */
export function readTraceHeaders(get: (name: string) => string | undefined): TraceCarrier | undefined {
  if (!state.on) return undefined;
  const carrier: TraceCarrier = {};
  for (const field of propagation.fields()) {
    const value = get(field);
    if (value) carrier[field] = value;
  }
  return Object.keys(carrier).length > 0 ? carrier : undefined;
}

/** The context `carrier` names, to start a child of a span made elsewhere; undefined when it names none. */
export function contextOf(carrier: TraceCarrier | undefined): Context | undefined {
  if (!carrier) return undefined;
  const extracted = propagation.extract(ROOT_CONTEXT, carrier);
  return inTrace(extracted) ? extracted : undefined;
}

/** A link to the span `carrier` names (an event's recording request, say), or undefined. */
export function linkTo(carrier: TraceCarrier | undefined, attributes?: Attributes): Link | undefined {
  const parent = contextOf(carrier);
  const spanContext = parent && trace.getSpanContext(parent);
  return spanContext ? { context: spanContext, ...(attributes && { attributes }) } : undefined;
}
