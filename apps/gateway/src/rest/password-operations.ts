import { REST_OPERATIONS } from './router.js';

/**
 * A URL as the REST adapter will route it: dot segments resolved, case ignored, trailing
 * slashes dropped — so `/API/v1/auth/./Login/` cannot slip past the sign-in limit.
 */
export function routedPath(url: string): string {
  let path: string;
  try {
    path = new URL(url, 'http://gateway').pathname;
  } catch {
    path = url.split('?')[0] ?? url;
  }
  return path.toLowerCase().replace(/\/+$/, '');
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Whether a request is one of the operations the contract marks as taking a password
 * (`password: 'verifies' | 'sets'`: sign-in, registration, changing the password): those share
 * the gateway's lower per-address budget. Derived from the contract, so a new such operation
 * is covered by declaring it, not by editing a path list.
 */
export function passwordOperationMatcher(prefix: string): (method: string, url: string) => boolean {
  const routes = [...REST_OPERATIONS.values()]
    .filter(({ operation }) => operation.password !== undefined && operation.rest)
    .map(({ operation }) => {
      const pattern = escapeRegExp(`${prefix}${operation.rest!.path}`.toLowerCase()).replace(/\\\{\w+\\\}/g, '[^/]+');
      return { method: operation.rest!.method, path: new RegExp(`^${pattern}$`) };
    });
  return (method, url) => {
    const path = routedPath(url);
    return routes.some((route) => route.method === method.toUpperCase() && route.path.test(path));
  };
}
