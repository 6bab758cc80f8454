export {
  assertEnvoyBinary,
  launchEnvoy,
  validateEnvoyConfig,
  EnvoyExitedError,
  EnvoyNotFoundError,
  type ConfigDump,
  type EnvoyLaunchOptions,
  type EnvoyProcess,
} from './process.ts';
export { renderBootstrap, BOOTSTRAP_TEMPLATE, type BootstrapParams } from './bootstrap.ts';
