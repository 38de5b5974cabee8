/**
 * The reference engine over gRPC: `cerbos.svc.v1.CerbosService/CheckResources`, as Cerbos serves
 * it, on its own port beside the HTTP server (`serve --grpc-port`). Messages are Cerbos's protobuf
 * schemas (util/cerbos-grpc-codec.ts); a request Cerbos's schema or our request shape rejects is
 * INVALID_ARGUMENT. Checks are counted in the HTTP server's metrics (route `grpc:CheckResources`),
 * so /metrics covers both protocols.
 */
import grpc from '@grpc/grpc-js';
import { createJwtDecoder, type JwtOptions } from './aux-data.js';
import type { Engine } from './engine.js';
import type { ServerMetrics } from './metrics.js';
import { toCheckRequest } from './request.js';
import { checkResponseJson } from './response-json.js';
import { CHECK_RESOURCES_METHOD, decodeCheckRequest, encodeCheckResponse } from '../util/cerbos-grpc-codec.js';

export interface GrpcServerOptions {
  host?: string;
  /** 0 picks a free port */
  port: number;
  metrics?: ServerMetrics;
  jwt?: JwtOptions;
}

export interface RunningGrpcServer {
  /** host:port */
  address: string;
  port: number;
  close(): Promise<void>;
}

const passthrough = (b: Buffer): Buffer => b;
const METRICS_ROUTE = 'grpc:CheckResources';

const SERVICE: grpc.ServiceDefinition = {
  CheckResources: {
    path: CHECK_RESOURCES_METHOD,
    requestStream: false,
    responseStream: false,
    requestSerialize: passthrough,
    requestDeserialize: passthrough,
    responseSerialize: passthrough,
    responseDeserialize: passthrough,
  },
};

export async function startGrpcServer(engine: Engine, options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const host = options.host ?? '127.0.0.1';
  const jwt = createJwtDecoder(options.jwt);
  const server = new grpc.Server();
  const fail = (callback: grpc.sendUnaryData<Buffer>, code: grpc.status, details: string): void => {
    options.metrics?.observeHttp(METRICS_ROUTE, code === grpc.status.INVALID_ARGUMENT ? 400 : 500);
    callback({ code, details, name: 'Error', message: details });
  };
  server.addService(SERVICE, {
    CheckResources: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      const t0 = process.hrtime.bigint();
      void (async () => {
        let check;
        try {
          check = toCheckRequest(decodeCheckRequest(call.request));
          if (check.auxData?.jwt !== undefined) {
            const claims = await jwt.claims(check.auxData);
            if (claims !== undefined) check.auxData.jwtClaims = claims;
          }
        } catch (err) {
          // undecodable bytes, a request shape we refuse (RequestShapeError) or a bad token (AuxDataError)
          return fail(callback, grpc.status.INVALID_ARGUMENT, err instanceof Error ? err.message : String(err));
        }
        const response = engine.check(check);
        callback(null, encodeCheckResponse(JSON.parse(checkResponseJson(response))));
        options.metrics?.observeCheck(Number(process.hrtime.bigint() - t0) / 1e9, response);
        options.metrics?.observeHttp(METRICS_ROUTE, 200);
      })().catch((err: unknown) => fail(callback, grpc.status.INTERNAL, err instanceof Error ? err.message : String(err)));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${host}:${options.port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  return {
    address: `${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        // a graceful shutdown waits for calls in flight; after a second they are cancelled
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
