import { createHash } from 'node:crypto';
import scalar from '@scalar/fastify-api-reference';
import type { FastifyInstance } from 'fastify';

export const DOCS_PREFIX = '/docs';

export interface DocsOptions {
  /** Where the page fetches the OpenAPI document from: a path on this host. */
  documentPath: string;
  /** The page's title. */
  title: string;
  /** Origins besides the page's own that "Try it" may call (PUBLIC_URL's, when set). */
  apiOrigins: readonly string[];
}

const INLINE_SCRIPT = /<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g;

/**
 * The page's Content-Security-Policy: its own scripts and the inline bootstrap by hash (so no
 * `'unsafe-inline'` script), requests only to this host and the API's origins, nothing framed.
 * Styles stay inline-able: the reference injects its stylesheet at run time.
 */
function contentSecurityPolicy(html: string, apiOrigins: readonly string[]): string {
  const hashes = [...html.matchAll(INLINE_SCRIPT)].map(
    ([, body]) => `'sha256-${createHash('sha256').update(body ?? '').digest('base64')}'`,
  );
  return [
    "default-src 'none'",
    `script-src 'self' ${hashes.join(' ')}`.trim(),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src 'self' ${apiOrigins.join(' ')}`.trim(),
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The interactive reference at /docs (Scalar, served from this process: no CDN, no fonts,
 * telemetry or AI assistant from elsewhere; Atrium's title, not the vendor's), and `GET /` leading to it. The page loads the same document the
 * API serves, whose server URL is relative unless PUBLIC_URL is set, so "Try it" calls the host
 * the page was loaded from — localhost, 127.0.0.1 or a proxy's name alike.
 */
export async function registerDocs(app: FastifyInstance, options: DocsOptions): Promise<void> {
  app.get('/', async (_request, reply) => reply.redirect(`${DOCS_PREFIX}/`, 302));

  // Its own context, so the hook below covers the reference's routes and nothing else.
  await app.register(async (docs) => {
    docs.addHook('onSend', async (_request, reply, payload) => {
      if (typeof payload === 'string' && String(reply.getHeader('content-type')).startsWith('text/html')) {
        reply.header('content-security-policy', contentSecurityPolicy(payload, options.apiOrigins));
      }
      reply.header('x-content-type-options', 'nosniff');
      return payload;
    });
    await docs.register(scalar, {
      routePrefix: DOCS_PREFIX,
      logLevel: 'warn',
      configuration: {
        url: options.documentPath,
        pageTitle: options.title,
        title: options.title,
        metaData: { title: options.title },
        withDefaultFonts: false,
        telemetry: false,
        hideClientButton: true,
        showDeveloperTools: 'never',
        documentDownloadType: 'json',
        // "Ask AI" sends the document to the vendor's service; the footer links to the vendor.
        agent: { disabled: true },
        customCss: 'a[href*="scalar.com"] { display: none; }',
      },
    });
  });
}
