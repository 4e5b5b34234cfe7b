import { createHash } from 'node:crypto';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, LightMyRequestResponse } from 'fastify';

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
    ([, body]) =>
      `'sha256-${createHash('sha256')
        .update(body ?? '')
        .digest('base64')}'`,
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

/** The routes Scalar's plugin serves under DOCS_PREFIX when given the document's URL: the page, the redirect to it, its script. */
const DOCS_ROUTES = [DOCS_PREFIX, `${DOCS_PREFIX}/`, `${DOCS_PREFIX}/js/scalar.js`];

/** Headers the forwarded answer must not carry over: its own framing, set again when it is sent. */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'date']);

/**
 * The reference itself: Scalar's plugin on an app of its own, under the CSP below. Its module
 * holds the page's whole script as one 5 MB string, ~0.4 s of CPU to load, so it is built on
 * the first request for the docs, not at start-up (see registerDocs).
 */
async function buildDocsApp(options: DocsOptions): Promise<FastifyInstance> {
  const { default: scalar } = await import('@scalar/fastify-api-reference');
  const docs = Fastify({ logger: false });
  docs.addHook('onSend', async (_request, reply, payload) => {
    if (typeof payload === 'string' && String(reply.getHeader('content-type')).startsWith('text/html')) {
      reply.header('content-security-policy', contentSecurityPolicy(payload, options.apiOrigins));
    }
    reply.header('x-content-type-options', 'nosniff');
    return payload;
  });
  await docs.register(scalar, {
    routePrefix: DOCS_PREFIX,
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
  await docs.ready();
  return docs;
}

/**
 * The interactive reference at /docs (Scalar, served from this process: no CDN, no fonts,
 * telemetry or AI assistant from elsewhere; Atrium's title, not the vendor's), and `GET /` leading to it. The page loads the same document the
 * API serves, whose server URL is relative unless PUBLIC_URL is set, so "Try it" calls the host
 * the page was loaded from — localhost, 127.0.0.1 or a proxy's name alike.
 *
 * The gateway's own routes for the reference's paths hand each request to the reference's app
 * (`inject`, no socket), made on the first of them: the same answers as the plugin registered
 * here, without loading it at every start for a page most starts never serve.
 */
export async function registerDocs(app: FastifyInstance, options: DocsOptions): Promise<void> {
  app.get('/', async (_request, reply) => reply.redirect(`${DOCS_PREFIX}/`, 302));

  let docsApp: Promise<FastifyInstance> | undefined;
  app.addHook('onClose', async () => {
    await (await docsApp?.catch(() => undefined))?.close();
  });
  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    // A failed build (it should not fail) is tried again by the next request rather than kept.
    docsApp ??= buildDocsApp(options).catch((error: unknown) => {
      docsApp = undefined;
      throw error;
    });
    const answer: LightMyRequestResponse = await (await docsApp).inject({ method: 'GET', url: request.url, headers: request.headers });
    for (const [name, value] of Object.entries(answer.headers)) {
      if (!FRAMING_HEADERS.has(name) && value !== undefined) void reply.header(name, value);
    }
    return reply.status(answer.statusCode).send(answer.rawPayload);
  };
  for (const url of DOCS_ROUTES) app.get(url, { logLevel: 'warn' }, forward);
}
