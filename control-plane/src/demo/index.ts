export { startDemoUpstream, type DemoUpstream, type DemoUpstreamOptions, type ReceivedRequest } from './upstream.ts';
export { DEMO_MODELS } from './vectors.ts';
