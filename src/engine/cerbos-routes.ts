/**
 * The rest of Cerbos's HTTP API, for SDKs pointed at `serve`: `GET /api/server_info` answers as
 * Cerbos does ({version, commit, buildDate}; the version is the Cerbos release whose semantics the
 * engine follows, with authz-perf's own as build metadata), and any other Cerbos route (`/api/…`,
 * `/admin/…`) answers Cerbos's error shape with gRPC code 12 (UNIMPLEMENTED, HTTP 501) naming the
 * route as not supported by the reference engine, instead of a bare 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { VERSION } from '../util/version.js';

/** The Cerbos release the reference engine's semantics are checked against. */
export const CERBOS_COMPATIBLE_VERSION = '0.55.0';
export const SERVER_INFO_PATH = '/api/server_info';
const STARTED = new Date().toISOString().replace(/\.\d+Z$/, 'Z');

function answer(res: ServerResponse, status: number, body: unknown, extra?: Record<string, string>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...extra });
  res.end(text);
}

export function serverInfo(): { version: string; commit: string; buildDate: string } {
  return { version: `${CERBOS_COMPATIBLE_VERSION}+authz-perf.${VERSION}`, commit: `authz-perf-${VERSION}`, buildDate: STARTED };
}

/** Answers a Cerbos route other than the check API; null when `path` is none (the caller answers 404). */
export function answerCerbosRoute(req: IncomingMessage, res: ServerResponse, path: string): [string, number] | null {
  if (path === SERVER_INFO_PATH) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      answer(res, 501, { code: 12, message: 'Method Not Allowed' }, { allow: 'GET, HEAD' });
      return [path, 501];
    }
    answer(res, 200, serverInfo());
    return [path, 200];
  }
  if (!path.startsWith('/api/') && !path.startsWith('/admin/')) return null;
  // the rest of the request is not read: close the connection after answering
  answer(res, 501, { code: 12, message: `${req.method ?? ''} ${path} is not supported by the reference engine (authz-perf serve); it answers POST /api/check/resources and GET ${SERVER_INFO_PATH}` }, { connection: 'close' });
  return ['cerbos-unsupported', 501];
}
