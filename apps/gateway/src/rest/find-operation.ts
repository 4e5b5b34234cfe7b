import type { OperationEntry } from '@atrium/contract';

/**
 * Which REST operation a request reaches, from its method and URL alone, routed as the REST
 * adapter routes: case-insensitive, a path parameter is one segment, trailing slashes ignored,
 * and HEAD reaches the GET operation. Undefined outside `prefix` or when nothing matches.
 */
export function createOperationFinder(prefix: string, operations: Iterable<OperationEntry>) {
  const routes = [...operations].map((entry) => {
    const { method, path } = entry.operation.rest!;
    const pattern = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+');
    return { method, pattern: new RegExp(`^${pattern}/*$`, 'i'), entry };
  });
  return (method: string, url: string): OperationEntry | undefined => {
    const path = url.split('?', 1)[0]!;
    if (!path.toLowerCase().startsWith(prefix.toLowerCase())) return undefined;
    const inApi = path.slice(prefix.length);
    const routed = method === 'HEAD' ? 'GET' : method;
    return routes.find((route) => route.method === routed && route.pattern.test(inApi))?.entry;
  };
}
