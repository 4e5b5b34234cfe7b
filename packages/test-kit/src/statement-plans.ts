import { openDatabaseSession } from '@atrium/local-infra';
import { numberedPlaceholders } from '@atrium/service-runtime';

export interface StatementPlans {
  /** How many of the calls PostgreSQL planned for their own values, and how many ran its kept generic plan. */
  custom: number;
  generic: number;
  /** The last call's rows. */
  rows: Record<string, unknown>[];
}

/**
 * Runs a hot read `calls` times on one connection as service-runtime's readRows does — a named
 * prepared statement, its `?` placeholders numbered `$1…$n` — and reports how PostgreSQL planned
 * the calls (`pg_prepared_statements`): whether it settled on one plan or plans every call afresh.
 */
export async function statementPlans(databaseUrl: string, sql: string, params: readonly unknown[], calls = 8): Promise<StatementPlans> {
  const text = numberedPlaceholders(sql);
  const session = await openDatabaseSession(databaseUrl);
  try {
    let rows: Record<string, unknown>[] = [];
    for (let call = 0; call < calls; call += 1) rows = await session.prepared('measured', text, params);
    const [plans] = await session.query<{ generic: number; custom: number }>(
      `select generic_plans::int as generic, custom_plans::int as custom from pg_prepared_statements where name = 'measured'`,
    );
    return { ...plans!, rows };
  } finally {
    await session.close();
  }
}
