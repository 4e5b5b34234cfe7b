import type { OperationEntry } from '@atrium/contract';

/**
 * Which requests test a guessable secret (sign-in, registration, invite tokens): the operations
 * the contract marks `rateLimit: 'secret'`, matched the way the REST adapter routes — dot
 * segments resolved, case ignored, trailing slashes dropped, a parameter one path segment — so
 * `/API/v1/auth/./Login/` cannot slip past the low limit, and a renamed path keeps it.
 */
export function createSecretRouteMatcher(prefix: string, operations: Iterable<OperationEntry>) {
  const patterns = [...operations]
    .filter(({ operation }) => operation.rest?.rateLimit === 'secret')
    .map(({ operation }) => {
      const path = `${prefix}${operation.rest!.path}`.toLowerCase();
      return new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\\{\w+\\\}|\{\w+\}/g, '[^/]+')}$`);
    });
  return (url: string): boolean => {
    let path: string;
    try {
      path = new URL(url, 'http://gateway').pathname;
    } catch {
      path = url.split('?')[0] ?? url;
    }
    const routed = path.toLowerCase().replace(/\/+$/, '');
    return patterns.some((pattern) => pattern.test(routed));
  };
}
