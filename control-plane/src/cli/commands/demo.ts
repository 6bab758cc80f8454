import type { Command } from 'commander';
import OpenAI from 'openai';
import { loadConfig } from '../../config/index.ts';
import { createLogger } from '../../log/index.ts';
import { startCliStack } from './up.ts';

/** The `input` strings of a request body the demo upstream received. */
function inputsOf(body: string): string[] {
  const input = (JSON.parse(body) as { input?: unknown }).input;
  return (Array.isArray(input) ? input : [input]).filter((item): item is string => typeof item === 'string');
}

const DEMO_SUBJECT = 'alice';
const DEMO_GROUPS = ['ml-engineers'];

/**
 * `embguard demo`: the README's first command. Brings the stack up with the demo upstream, sends
 * requests through Envoy with the official `openai` client, prints what came back, and stops.
 */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('Start the stack with the demo upstream, send requests through it with the openai client, print the results, stop')
    .action(async () => {
      const config = loadConfig();
      const logger = createLogger({ level: 'warn' });
      const upstreamSaw: string[] = [];
      const stack = await startCliStack(config, logger, true, (request) => {
        if (request.path === '/v1/embeddings') upstreamSaw.push(...inputsOf(request.body));
      });
      try {
        const issuer = stack.demoIssuer!;
        const token = await issuer.mintToken({ sub: DEMO_SUBJECT, groups: DEMO_GROUPS });
        const client = new OpenAI({ baseURL: stack.urls.gateway, apiKey: token, maxRetries: 0 });
        const input = ['The quarterly report is ready.', 'Contact alice@example.com or call +44 20 7946 0958.'];
        const result = await client.embeddings.create({ model: 'demo-embed', input, encoding_format: 'float' });
        const out = {
          gateway: stack.urls.gateway,
          caller: { subject: DEMO_SUBJECT, groups: DEMO_GROUPS },
          model: result.model,
          sent: input,
          upstreamReceived: upstreamSaw,
          embeddings: result.data.map((item) => ({
            index: item.index,
            dimensions: item.embedding.length,
            l2norm: Number(Math.hypot(...item.embedding).toFixed(6)),
          })),
          usage: result.usage,
          snapshot: stack.app.active()?.ref.version,
        };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        process.stderr.write('embguard: demo request went through Envoy; run `npx embguard up --demo` to keep the stack running\n');
      } finally {
        await stack.stop();
      }
    });
}
