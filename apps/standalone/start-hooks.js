// Module hooks for start.js's source mode: every resolution also honours the `@atrium/source`
// export condition, as `node --conditions=@atrium/source` would, so workspace packages load
// their TypeScript sources (transpiled by tsx) instead of a dist/ that is missing or stale.
export async function resolve(specifier, context, nextResolve) {
  return nextResolve(specifier, { ...context, conditions: [...context.conditions, '@atrium/source'] });
}
