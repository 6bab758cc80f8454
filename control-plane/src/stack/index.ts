/** The whole embguard stack as one unit: what `embguard up` and `embguard demo` run. */
export { startStack, type RunningStack, type StackOptions } from './stack.ts';
export { buildDevSnapshot, signDevelopmentSnapshot, PolicyDirectoryInvalidError } from './dev-snapshot.ts';
