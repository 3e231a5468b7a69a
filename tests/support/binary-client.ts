// The compiled-binary tests' client: the shared test client (test-client.ts) on 127.0.0.1, with a
// longer default wait, since a spawned proxy on a busy 2-core machine answers later than an in-process one.
import { connectTestClient, type ConnectOptions, type TestClientCodec, type TestConnection } from "./test-client.ts";

export type BinaryClient = TestConnection;

export function openBinaryClient(port: number, codec: TestClientCodec, opts: ConnectOptions = {}): Promise<BinaryClient> {
  return connectTestClient("127.0.0.1", port, codec, { defaultTimeoutMs: 3000, ...opts });
}
