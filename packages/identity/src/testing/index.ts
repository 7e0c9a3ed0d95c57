export type { FakeHttpRequest, FakeHttpResponse } from './fake-token-endpoint-http-client.js';
export { FakeHttpHeaders, FakeTokenEndpointHttpClient } from './fake-token-endpoint-http-client.js';
