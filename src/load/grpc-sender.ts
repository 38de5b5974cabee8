/**
 * The open model's sender for gRPC: unary `cerbos.svc.v1.CerbosService/CheckResources` calls over
 * @grpc/grpc-js, one call in flight per sender, like an HTTP/1.1 connection. Senders share a few
 * HTTP/2 channels (each its own TCP connection), as gRPC clients do. Bodies are the protobuf
 * encoding of the HTTP source's JSON bodies (encoded once, before the run); a response is checked
 * by the source's own `verify` on its JSON form, so decisions are compared exactly as over HTTP.
 */
import grpc from '@grpc/grpc-js';
import { CHECK_RESOURCES_METHOD, decodeCheckResponse, encodeCheckRequest } from '../util/cerbos-grpc-codec.js';
import type { RequestSource } from './connection.js';
import type { ErrorClass } from './recorder.js';
import type { RequestSender, SenderEvents, SenderFactory, ServerTiming } from './sender.js';

export interface GrpcConnector {
  /** the senders of a run over `source` (the HTTP source; bodies are encoded to protobuf once) */
  senders(source: RequestSource, timeoutMs: number): SenderFactory;
  /** closes every channel (senders' close() releases theirs) */
  close(): void;
}

const passthrough = (b: Buffer): Buffer => b;

/** `address` is host:port; `channels` HTTP/2 connections shared round-robin by the senders. */
export function grpcConnector(address: string, channels = 4): GrpcConnector {
  const clients: grpc.Client[] = [];
  let next = 0;
  const client = (): grpc.Client => {
    if (clients.length < channels) {
      // a local subchannel pool: each client gets its own TCP connection instead of sharing one
      clients.push(new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }));
      return clients[clients.length - 1]!;
    }
    return clients[next++ % clients.length]!;
  };
  return {
    senders: (source, timeoutMs) => {
      const grpcSrc = grpcSource(source);
      return (events) => new GrpcSender(client(), grpcSrc, events, timeoutMs);
    },
    close: () => {
      for (const c of clients) c.close();
      clients.length = 0;
    },
  };
}

/** Protobuf bodies for a JSON source, encoded once per source. */
const encoded = new WeakMap<readonly Buffer[], Buffer[]>();
export function grpcBodies(bodies: readonly Buffer[]): Buffer[] {
  let out = encoded.get(bodies);
  if (!out) {
    out = bodies.map((b) => encodeCheckRequest(b.toString('utf8')));
    encoded.set(bodies, out);
  }
  return out;
}

function grpcSource(source: RequestSource): RequestSource {
  return { ...source, path: CHECK_RESOURCES_METHOD, bodies: grpcBodies(source.bodies) };
}

class GrpcSender implements RequestSender {
  intendedMs = 0;
  scheduledMs = 0;
  sentMs = 0;
  /** gRPC responses carry no Server-Timing */
  readonly serverTiming: ServerTiming | null = null;
  private bodyIndex = 0;
  private readonly metadata = new grpc.Metadata();

  constructor(
    private readonly client: grpc.Client,
    private readonly source: RequestSource,
    private readonly events: SenderEvents,
    private readonly timeoutMs: number,
  ) {}

  /** `body` overrides the source's body: a JSON body (warm-up requests), encoded here. */
  send(bodyIndex: number, intendedMs: number, scheduledMs: number, sentMs: number, body?: Buffer): void {
    this.bodyIndex = bodyIndex;
    this.intendedMs = intendedMs;
    this.scheduledMs = scheduledMs;
    this.sentMs = sentMs;
    const message = body !== undefined ? encodeCheckRequest(body.toString('utf8')) : this.source.bodies[bodyIndex]!;
    this.client.makeUnaryRequest(CHECK_RESOURCES_METHOD, passthrough, passthrough, message, this.metadata, { deadline: Date.now() + this.timeoutMs }, (err, response) =>
      this.done(err, response),
    );
  }

  private done(err: grpc.ServiceError | null, response: Buffer | undefined): void {
    const self = this;
    if (err || response === undefined) {
      const code = err?.code ?? grpc.status.UNKNOWN;
      this.events.onDone(self, false, errorClass(code), code, `${grpc.status[code] ?? code}: ${err?.details ?? 'no response'}`.slice(0, 120));
      return;
    }
    if (this.source.verify) {
      let text: string;
      try {
        text = JSON.stringify(decodeCheckResponse(response));
      } catch (e) {
        this.events.onDone(self, false, 'mismatch', 0, `undecodable CheckResourcesResponse: ${(e as Error).message}`.slice(0, 120));
        return;
      }
      const reason = this.source.verify(this.bodyIndex, text);
      if (reason !== null) {
        this.events.onDone(self, false, 'mismatch', 0, reason);
        return;
      }
    }
    this.events.onDone(self, true, 'other', 0, '');
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

function errorClass(code: grpc.status): ErrorClass {
  if (code === grpc.status.UNAVAILABLE) return 'connect';
  if (code === grpc.status.DEADLINE_EXCEEDED) return 'timeout';
  return 'status';
}
