export { startDemoUpstream, type DemoUpstream, type DemoUpstreamOptions, type ReceivedRequest } from './upstream.ts';
export { DEMO_MODELS } from './vectors.ts';
export { demoSecretEnv, DEMO_TOKENIZATION_KEY_ENV, DEMO_UPSTREAM_KEY_ENV } from './secrets.ts';
