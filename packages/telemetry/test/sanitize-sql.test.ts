import { describe, expect, it } from 'vitest';
import { sanitizeSql, tracingConfigured } from '../src/sdk.js';

describe('sanitizeSql', () => {
  it('replaces every literal with ?, keeping identifiers, parameters and comments', () => {
    expect(
      sanitizeSql(
        `insert into "projects"."outbox" ("id", "payload", "v1") values ('438e', '{"name":"it''s"}', 42, -3.5e2, E'a\\'b', $$x$$, $1) -- done 7`,
      ),
    ).toBe(`insert into "projects"."outbox" ("id", "payload", "v1") values (?, ?, ?, -?, ?, ?, $1) -- done 7`);
  });

  it('keeps digits that are part of a name', () => {
    expect(sanitizeSql('select col1 from t2 where x = 10 limit 5')).toBe('select col1 from t2 where x = ? limit ?');
  });
});

describe('tracingConfigured', () => {
  it('is off without an OTLP endpoint, and when the SDK or the trace exporter is turned off', () => {
    expect(tracingConfigured({})).toBe(false);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: ' ' })).toBe(false);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' })).toBe(false);
    expect(tracingConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
  });
});
