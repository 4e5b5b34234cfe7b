import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { errorEnvelope } from '../rest/errors.js';

const REFUSALS: Record<string, { status: number; reason: string; message: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, reason: 'Request Timeout', message: 'The request did not arrive in time' },
  HPE_HEADER_OVERFLOW: { status: 431, reason: 'Request Header Fields Too Large', message: 'The request headers are larger than allowed' },
};
const MALFORMED = { status: 400, reason: 'Bad Request', message: 'The request is not valid HTTP' };

/**
 * Requests Node's HTTP parser refuses before Fastify sees them (malformed HTTP, oversized
 * headers, too slow): answered with the error envelope and a request id like every other
 * refusal, and logged without the error or its stack — it is the client's input, not a fault.
 * The status stays the HTTP one (408, 431, else 400) and the code is BAD_REQUEST.
 */
export function clientErrorHandler(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const refusal = (error.code && REFUSALS[error.code]) || MALFORMED;
  const requestId = randomUUID();
  this.log.debug({ requestId, code: error.code, status: refusal.status }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify(errorEnvelope({ apiCode: 'BAD_REQUEST', message: refusal.message }));
    socket.write(
      `HTTP/1.1 ${refusal.status} ${refusal.reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
